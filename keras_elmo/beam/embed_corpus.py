"""`EmbedCorpus`: text files in; Parquet vectors and dead letters out."""

import json

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.ml.inference.base import RunInference
from apache_beam.options.pipeline_options import PipelineOptions

from keras_elmo.beam.corpus_lines import ReadCorpusLines
from keras_elmo.beam.model_handler import ELMoModelHandler
from keras_elmo.beam.parquet_rows import parquet_schema
from keras_elmo.beam.parquet_rows import to_row
from keras_elmo.beam.parquet_rows import vector_columns
from keras_elmo.beam.sentence_parser import DEAD_LETTER
from keras_elmo.beam.sentence_parser import ParseSentences
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.utils.validation import check_positive_int

EMBEDDINGS_PREFIX = "embeddings"
DEAD_LETTER_PREFIX = "dead_letter"
# Rows buffered before they become a Parquet record batch: 64 sentences of
# the original model's three layers are about 20 MB.
RECORD_BATCH_ROWS = 64


def _text_tokenizer(embedder, tokenize):
    # As `ELMoEmbedder.embed_sentences(..., tokenize=...)` for strings.
    if tokenize is None:
        return embedder.text_tokenizer
    if tokenize:
        return embedder.text_tokenizer or TextTokenizer()
    return None


def check_corpus_paths(patterns, output_dir):
    """Refuse patterns that match nothing and an output dir already used.

    Run before anything is written, so a bad call loses nothing.

    Raises:
        FileNotFoundError: a pattern matches no file.
        FileExistsError: `output_dir` holds the output of a run already.

    Example:

    >>> check_corpus_paths(["corpus/*.txt"], "vectors/")
    """
    for pattern in patterns:
        matched = FileSystems.match([pattern])[0].metadata_list
        if not matched:
            raise FileNotFoundError(f"No input file matches {pattern}")
    for prefix in (EMBEDDINGS_PREFIX, DEAD_LETTER_PREFIX):
        pattern = FileSystems.join(output_dir, f"{prefix}-*")
        existing = FileSystems.match([pattern])[0].metadata_list
        if existing:
            raise FileExistsError(
                f"{output_dir} already holds {existing[0].path}; give a "
                "new output directory (shards of two runs would mix)"
            )


class _CountRows(beam.DoFn):
    """Pass rows on, counting sentences and tokens (Beam metrics)."""

    def __init__(self):
        super().__init__()
        self.sentences = beam.metrics.Metrics.counter("keras_elmo", "sentences")
        self.tokens = beam.metrics.Metrics.counter("keras_elmo", "tokens")

    def process(self, row):
        self.sentences.inc()
        self.tokens.inc(len(row["tokens"]))
        yield row


def _count_bad_line(bad_line):
    beam.metrics.Metrics.counter("keras_elmo", "bad_lines").inc()
    return json.dumps(bad_line.to_dict(), ensure_ascii=False)


class EmbedCorpus(beam.PTransform):
    """Embed every line of some text files into sharded Parquet files.

    Reads the files (`ReadCorpusLines`), tokenizes each line as
    `keras-elmo embed` does (`ParseSentences`), embeds the sentences with
    `RunInference(ELMoModelHandler(...))` and writes
    `output_dir/embeddings-SSSSS-of-NNNNN.parquet` (schema:
    `keras_elmo.beam.parquet_rows`) and the bad lines, one JSON object a
    line (`source`, `line`, `reason`, `text`), to
    `output_dir/dead_letter-SSSSS-of-NNNNN.jsonl`.

    Each sentence is keyed by its file and line. Beam's file sinks write
    each bundle to a temporary file and rename only the bundles that
    completed, so a bundle that a runner retries after a transient failure
    leaves each key exactly once in the output.

    The preset is loaded once when the pipeline is built, to check the
    handle and read its tokenizer and output shape before anything runs.

    Args:
        patterns: str or list of str. Input files (any Beam filesystem).
        output_dir: str. Directory (any Beam filesystem) for the shards;
            must not hold the output of another run.
        preset: str. A preset handle (`ELMoEmbedder.from_preset`).
        output: str. `"all"`, `"top"`, `"average"` or `"elmo"`. Defaults
            to `"all"`.
        tokenize: `None` (the preset's text tokenizer if it records one,
            else whitespace), `True` (its tokenizer, else the default
            `TextTokenizer`) or `False` (whitespace only). Defaults to
            `None`, as `keras-elmo embed`.
        initial_state: str. `"zeros"` or `"warm"`. Defaults to `"zeros"`.
        batch_size: int. Most sentences in a batch. Defaults to `64`.
        max_tokens_per_batch: int. Token budget of a batch. Defaults to
            `4096`.
        max_sentence_tokens: int. Longer lines go to the dead letter.
            Defaults to `1024`.
        num_shards: int. Parquet files; `0` lets the runner choose.
            Defaults to `0`.
        large_model: bool. One model copy per machine (GPU workers), see
            `ELMoModelHandler`. Defaults to `False`.
        model_handler: an `ELMoModelHandler` to use instead of one made
            from the arguments above (e.g. a subclass). Defaults to `None`.

    Returns (of `expand`):
        A dict: `"rows"`, the PCollection of Parquet rows; `"dead_letter"`,
        the `BadLine`s; `"files"`, the written Parquet file names.

    Example:

    ```python
    with beam.Pipeline() as pipeline:
        pipeline | EmbedCorpus("corpus/*.txt", "out/", "elmo_tiny_en")
    ```
    """

    def __init__(
        self,
        patterns,
        output_dir,
        preset,
        output="all",
        tokenize=None,
        initial_state="zeros",
        batch_size=64,
        max_tokens_per_batch=4096,
        max_sentence_tokens=1024,
        num_shards=0,
        large_model=False,
        model_handler=None,
    ):
        super().__init__()
        self.patterns = [patterns] if isinstance(patterns, str) else patterns
        self.output_dir = output_dir
        self.max_sentence_tokens = check_positive_int(
            max_sentence_tokens, "max_sentence_tokens"
        )
        if model_handler is None:
            model_handler = ELMoModelHandler(
                preset,
                output=output,
                initial_state=initial_state,
                batch_size=batch_size,
                max_tokens_per_batch=max_tokens_per_batch,
                large_model=large_model,
            )
        self.model_handler = model_handler
        self.tokenize = tokenize
        self.num_shards = num_shards

    def expand(self, pipeline):
        check_corpus_paths(self.patterns, self.output_dir)
        handler = self.model_handler
        embedder = ELMoEmbedder.from_preset(
            handler.preset, initial_state=handler.initial_state
        )
        text_tokenizer = _text_tokenizer(embedder, self.tokenize)
        # Every layer is the forward and backward projection, side by side.
        num_layers = embedder.model.num_layers
        dim = 2 * embedder.model.projection_dim
        columns = vector_columns(handler.output, num_layers)
        parsed = (
            pipeline
            | "Read" >> ReadCorpusLines(self.patterns)
            | "Parse"
            >> beam.ParDo(
                ParseSentences(text_tokenizer, self.max_sentence_tokens)
            ).with_outputs(DEAD_LETTER, main="sentences")
        )
        rows = (
            parsed.sentences
            | "Embed" >> RunInference(handler)
            | "Rows" >> beam.Map(to_row, columns)
            | "Count" >> beam.ParDo(_CountRows())
        )
        files = rows | "WriteParquet" >> beam.io.WriteToParquet(
            FileSystems.join(self.output_dir, EMBEDDINGS_PREFIX),
            parquet_schema(handler.output, num_layers, dim),
            record_batch_size=RECORD_BATCH_ROWS,
            codec="snappy",
            file_name_suffix=".parquet",
            num_shards=self.num_shards,
        )
        dead_letter = parsed[DEAD_LETTER]
        _ = (
            dead_letter
            | "DeadLetterJson" >> beam.Map(_count_bad_line)
            | "WriteDeadLetter"
            >> beam.io.WriteToText(
                FileSystems.join(self.output_dir, DEAD_LETTER_PREFIX),
                file_name_suffix=".jsonl",
            )
        )
        return {"rows": rows, "dead_letter": dead_letter, "files": files}


def _counter(result, name):
    query = beam.metrics.MetricsFilter().with_namespace("keras_elmo")
    counters = result.metrics().query(query.with_name(name))["counters"]
    if not counters:
        return None
    return sum(c.committed or c.attempted or 0 for c in counters)


def run_embed_corpus(patterns, output_dir, preset, pipeline_args=(), **kwargs):
    """Build and run an `EmbedCorpus` pipeline; wait for it to finish.

    Args:
        patterns, output_dir, preset: see `EmbedCorpus`.
        pipeline_args: list of str. Beam pipeline options
            (`["--runner=DataflowRunner", "--project=...", ...]`); the
            DirectRunner when empty.
        **kwargs: the other `EmbedCorpus` arguments.

    Returns:
        A dict of the run's counters: `"sentences"`, `"tokens"`,
        `"bad_lines"` (`None` where the runner reports no metrics).

    Example:

    ```python
    counts = run_embed_corpus("corpus/*.txt", "out/", "elmo_tiny_en",
        ["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    ```
    """
    options = PipelineOptions(list(pipeline_args))
    pipeline = beam.Pipeline(options=options)
    _ = pipeline | EmbedCorpus(patterns, output_dir, preset, **kwargs)
    result = pipeline.run()
    result.wait_until_finish()
    return {
        name: _counter(result, name)
        for name in ("sentences", "tokens", "bad_lines")
    }
