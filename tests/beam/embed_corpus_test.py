"""`EmbedCorpus` on the DirectRunner: keys once, embed's vectors, dead
letters, a retried bundle, and 2 worker processes."""

import collections
import os

import pytest

beam = pytest.importorskip("apache_beam")

from apache_beam.options.pipeline_options import PipelineOptions  # noqa: E402

from keras_elmo.beam.embed_corpus import EmbedCorpus  # noqa: E402
from keras_elmo.beam.embed_corpus import run_embed_corpus  # noqa: E402
from keras_elmo.beam.model_handler import ELMoModelHandler  # noqa: E402
from tests.beam.beam_fixtures import BAD_LINES  # noqa: E402
from tests.beam.beam_fixtures import MAX_SENTENCE_TOKENS  # noqa: E402
from tests.beam.beam_fixtures import assert_vectors_equal_embed  # noqa: E402
from tests.beam.beam_fixtures import embed_command_vectors  # noqa: E402
from tests.beam.beam_fixtures import good_keys  # noqa: E402
from tests.beam.beam_fixtures import read_dead_letter  # noqa: E402
from tests.beam.beam_fixtures import read_embeddings  # noqa: E402
from tests.beam.beam_fixtures import write_corpus  # noqa: E402

LAYERS = ["layer_0", "layer_1", "layer_2"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("beam")
    preset, corpus = write_corpus(directory)
    embed_all = embed_command_vectors(
        preset, corpus / "a.txt", directory / "embed_all.hdf5"
    )
    return directory, preset, corpus, embed_all


@pytest.fixture(scope="module")
def in_process(corpus):
    # Small batches: several batches, and both budgets (sentences, tokens).
    directory, preset, corpus_dir, _ = corpus
    output_dir = directory / "in_process"
    counts = run_embed_corpus(
        str(corpus_dir / "*.txt"),
        str(output_dir),
        str(preset),
        max_sentence_tokens=MAX_SENTENCE_TOKENS,
        batch_size=4,
        max_tokens_per_batch=64,
    )
    return output_dir, counts


def _assert_each_key_once(rows, corpus_dir):
    keys = collections.Counter((row["source"], row["line"]) for row in rows)
    assert max(keys.values()) == 1, keys.most_common(3)
    assert sorted(keys) == sorted(good_keys(corpus_dir))


@pytest.mark.large
def test_every_key_exactly_once(corpus, in_process):
    output_dir, counts = in_process
    rows = read_embeddings(output_dir)
    _assert_each_key_once(rows, corpus[2])
    n_tokens = sum(len(row["tokens"]) for row in rows)
    assert counts == {
        "sentences": len(rows),
        "tokens": n_tokens,
        "bad_lines": len(BAD_LINES),
    }


@pytest.mark.large
def test_vectors_equal_embed_command(corpus, in_process):
    _, _, corpus_dir, embed_all = corpus
    rows = read_embeddings(in_process[0])
    source = str(corpus_dir / "a.txt")
    assert_vectors_equal_embed(rows, source, embed_all, LAYERS)


@pytest.mark.large
def test_bad_lines_reach_the_dead_letter(corpus, in_process):
    records = read_dead_letter(in_process[0])
    source = str(corpus[2] / "b.txt")
    assert sorted((r["source"], r["line"], r["reason"]) for r in records) == [
        (source, line, reason) for line, (_, reason) in BAD_LINES.items()
    ]


@pytest.mark.large
def test_trained_mix_equals_embed_elmo(corpus, tmp_path):
    # --top and --average are slices of "all"; --elmo is the preset's mix.
    directory, preset, corpus_dir, _ = corpus
    flag, output = "--elmo", "elmo"
    run_embed_corpus(
        str(corpus_dir / "a.txt"), str(tmp_path), str(preset), output=output
    )
    expected = embed_command_vectors(
        preset, corpus_dir / "a.txt", tmp_path / "embed.hdf5", flag
    )
    rows = read_embeddings(tmp_path)
    source = str(corpus_dir / "a.txt")
    assert_vectors_equal_embed(rows, source, expected, [output])


@pytest.mark.large
def test_output_dir_of_a_run_is_refused(corpus, in_process):
    _, preset, corpus_dir, _ = corpus
    with pytest.raises(FileExistsError, match="already holds"):
        run_embed_corpus(str(corpus_dir), str(in_process[0]), str(preset))
    with pytest.raises(FileNotFoundError, match="No input file matches"):
        run_embed_corpus(
            str(corpus_dir / "none*.txt"), str(in_process[0]), str(preset)
        )


def _first_time(path):
    """True the first time any process asks (an exclusive file create)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True


class FailOnceHandler(ELMoModelHandler):
    """Fails its second batch, once in the whole run (files count calls)."""

    def __init__(self, marker, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.marker = marker

    def run_inference(self, batch, model, inference_args=None):
        if not _first_time(f"{self.marker}.first") and _first_time(self.marker):
            raise RuntimeError("transient failure (test)")
        return super().run_inference(batch, model, inference_args)


@pytest.mark.large
def test_retried_bundle_leaves_each_key_once(corpus, tmp_path):
    # The BundleBasedDirectRunner retries a failed bundle (up to 4 times)
    # and drops the failed attempt's outputs, as Dataflow, Flink and Spark
    # do; the FnApiRunner (the DirectRunner's default) does not retry
    # (apache/beam#18640), so this runs on the former. The second batch
    # fails: when the first is in the same bundle, its rows are written
    # twice unless the failed attempt's output is dropped.
    directory, preset, corpus_dir, embed_all = corpus
    marker = tmp_path / "failed_once"
    handler = FailOnceHandler(
        str(marker), str(preset), batch_size=4, max_tokens_per_batch=64
    )
    options = PipelineOptions(["--runner=BundleBasedDirectRunner"])
    with beam.Pipeline(options=options) as pipeline:
        _ = pipeline | EmbedCorpus(
            str(corpus_dir / "*.txt"),
            str(tmp_path / "out"),
            str(preset),
            max_sentence_tokens=MAX_SENTENCE_TOKENS,
            model_handler=handler,
        )
    assert marker.exists()  # it did fail once
    rows = read_embeddings(tmp_path / "out")
    _assert_each_key_once(rows, corpus_dir)
    source = str(corpus_dir / "a.txt")
    assert_vectors_equal_embed(rows, source, embed_all, LAYERS)
    assert len(read_dead_letter(tmp_path / "out")) == len(BAD_LINES)


@pytest.mark.large
def test_two_worker_processes(corpus, tmp_path):
    directory, preset, corpus_dir, embed_all = corpus
    counts = run_embed_corpus(
        str(corpus_dir / "*.txt"),
        str(tmp_path),
        str(preset),
        pipeline_args=[
            "--direct_num_workers=2",
            "--direct_running_mode=multi_processing",
        ],
        max_sentence_tokens=MAX_SENTENCE_TOKENS,
        batch_size=4,
    )
    rows = read_embeddings(tmp_path)
    _assert_each_key_once(rows, corpus_dir)
    source = str(corpus_dir / "a.txt")
    assert_vectors_equal_embed(rows, source, embed_all, LAYERS)
    assert len(read_dead_letter(tmp_path)) == len(BAD_LINES)
    assert counts["sentences"] in (len(rows), None)
