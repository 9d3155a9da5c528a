"""`ELMoModelHandler`: ELMo as a Beam `RunInference` model handler."""

from apache_beam.ml.inference.base import ModelHandler
from apache_beam.ml.inference.base import PredictionResult

from keras_elmo.beam.sentence_parser import sentence_positions
from keras_elmo.inference.elmo_embedder import OUTPUTS
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.utils.validation import check_positive_int


class ELMoModelHandler(ModelHandler):
    """Embeds `Sentence`s with a preset, for `RunInference`.

    The preset is loaded once per worker process (`RunInference` keeps it
    in `shared.Shared`, so the threads of a process share one copy), or,
    with `large_model=True`, once per machine in a process of its own
    (Beam's `multi_process_shared`: for GPU workers, where one copy should
    own the device). Batches are sized by a token budget: `BatchElements`
    weighs each sentence by its token positions (`sentence_positions`) and
    closes a batch at `max_tokens_per_batch` or `batch_size` sentences,
    whichever comes first, so long and short sentences cost the same per
    batch.

    Args:
        preset: str. Any handle of `ELMoEmbedder.from_preset`: a built-in
            name, a preset directory or URL (on a cluster: a path every
            worker can read, e.g. `gs://`, or a built-in name).
        output: str. `"all"` (every layer), `"top"`, `"average"` or
            `"elmo"` (the preset's trained mix), as `keras-elmo embed`.
            Defaults to `"all"`.
        initial_state: str. `"zeros"` or `"warm"` (docs/determinism.md).
            Defaults to `"zeros"`.
        batch_size: int. Most sentences in a batch. Defaults to `64`.
        max_tokens_per_batch: int. Most token positions in a batch
            (markers included). Defaults to `4096`.
        large_model: bool. One copy per machine rather than per process.
            Defaults to `False`.

    Example:

    ```python
    from apache_beam.ml.inference.base import RunInference

    handler = ELMoModelHandler("elmo_tiny_en", output="top")
    results = sentences | RunInference(handler)
    # Each result: PredictionResult(example=Sentence, inference=(n, dim))
    ```
    """

    def __init__(
        self,
        preset,
        output="all",
        initial_state="zeros",
        batch_size=64,
        max_tokens_per_batch=4096,
        large_model=False,
    ):
        if output not in OUTPUTS:
            raise ValueError(
                f"`output` must be one of {OUTPUTS}. Received: {output!r}"
            )
        batch_size = check_positive_int(batch_size, "batch_size")
        max_tokens_per_batch = check_positive_int(
            max_tokens_per_batch, "max_tokens_per_batch"
        )
        super().__init__(
            # Full batches (no adaptive growth from 1): every batch size
            # is a shape the compiled forward would compile anew.
            min_batch_size=batch_size,
            max_batch_size=batch_size,
            max_batch_weight=max_tokens_per_batch,
            element_size_fn=sentence_positions,
            large_model=large_model,
        )
        self.preset = preset
        self.output = output
        self.initial_state = initial_state
        self.batch_size = batch_size
        self.max_tokens_per_batch = max_tokens_per_batch

    def load_model(self):
        """The preset's `ELMoEmbedder` (called once per process)."""
        return ELMoEmbedder.from_preset(
            self.preset,
            initial_state=self.initial_state,
            batch_size=self.batch_size,
            max_tokens_per_batch=self.max_tokens_per_batch,
        )

    def run_inference(self, batch, model, inference_args=None):
        """Vectors of a batch of `Sentence`s, each with its sentence.

        Returns:
            A list of `PredictionResult(example=sentence, inference=array)`:
            float32 `(n_layers + 1, n, dim)` for `"all"`, `(n, dim)`
            otherwise, `n` the sentence's tokens.
        """
        vectors = model.embed_sentences(
            [list(sentence.tokens) for sentence in batch], output=self.output
        )
        return [
            PredictionResult(sentence, array)
            for sentence, array in zip(batch, vectors)
        ]

    def get_num_bytes(self, batch):
        """Bytes of the batch's tokens (for Beam's metrics)."""
        return sum(len(token.encode()) for s in batch for token in s.tokens)

    def get_metrics_namespace(self):
        return "keras_elmo"
