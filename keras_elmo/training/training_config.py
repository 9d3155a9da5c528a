"""`TrainingConfig`: everything a biLM pretraining run needs, and recipes.

One frozen dataclass replaces `train_language_model`'s long argument list.
The same object, as JSON, is the run's `training_config.json`: a resumed
run is checked against it (see `TrainingConfig.check_resume`).

Named recipes (`recipe(name, **overrides)`):

- `"adam"` (the default): Adam, peak learning rate 4e-3 reached by a
  linear warmup of 200 steps, then cosine decay to 0.1x the peak at the
  last step, global gradient-norm clip 10, no dropout, a sampled softmax
  with 8,192 negatives (the full softmax when the vocabulary has no more
  words), batch 32 x 20 tokens. Chosen from the measured comparison in
  docs/training.md (the best of the candidates at 200 and 800 CPU-seconds;
  the shipped `elmo_tiny_en` was trained with 2e-3, batch 64 and the
  full softmax, which its card names).
- `"bilm_tf"`: the original recipe (Peters et al., 2018; bilm-tf's
  `train_elmo.py`): Adagrad 0.2 with initial accumulator 1.0, clip 10,
  constant learning rate, dropout 0.1, sampled softmax with 8192
  negatives, batch 128 x 20 tokens.
"""

import dataclasses
import hashlib
import json
import math
import os

from keras_elmo.utils.validation import check_positive_int

OPTIMIZERS = ("adam", "adamw", "adagrad", "sgd")
DECAYS = ("cosine", "constant")
SOFTMAXES = ("auto", "full", "sampled")
# "data_parallel": keras.distribution.DataParallel on JAX; the others are
# tf.distribute strategies (TensorFlow backend).
STRATEGIES = ("default", "data_parallel", "mirrored", "multi_worker", "tpu")

# Fields that must be equal when a run resumes: they shape the weights,
# the optimizer state or the meaning of a step.
RESUME_FIELDS = (
    "options",
    "vocabulary_sha256",
    "batch_size",
    "unroll_steps",
    "optimizer",
)
# Settings a resumed run may change (a new sitting with a lower learning
# rate, say), reported when it does: a recipe's defaults can change between
# sittings, and the change should never go unseen.
RESUME_REPORTED_FIELDS = (
    "learning_rate",
    "warmup_steps",
    "decay",
    "decay_steps",
    "final_learning_rate_fraction",
    "global_clipnorm",
    "weight_decay",
    "softmax",
    "num_negative_samples",
    "dropout",
)


def _positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return
    check_positive_int(value, name)


def _non_negative(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"`{name}` must be a number. Received: {name}={value!r}"
        )
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")


def _choice(name, value, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {choices}. Received: {name}={value!r}"
        )


def _as_list(files):
    if files is None:
        return None
    if isinstance(files, (str, os.PathLike)):
        return [os.fspath(files)]
    return [os.fspath(f) for f in files]


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """What to train, on which data, with which recipe, for how long.

    Validated when made: a bad value raises `ValueError` naming the field
    before anything is read or written.

    Args:
        train_files: str or list. Text files or globs, one sentence a line.
        vocabulary: str. The vocabulary file (`<S>`, `</S>`, `<UNK>`, then
            words by decreasing count).
        options: dict or str, optional. biLM options (original format) or
            an `options.json` path. Give exactly one of `options`, `preset`
            and `init_from`.
        preset: str, optional. A preset whose architecture to train from
            scratch: a built-in name (`keras_elmo.ELMo.presets`, e.g.
            `"elmo_small_en"`; no download), a preset directory or URL.
        init_from: `(options_file, weight_file)`, optional. An original ELMo
            to fine-tune (bilm-tf's "restart").
        validation_files: str or list, optional. Held-out text.
        validation_steps: int, optional. Cap on validation batches.
        steps: int, optional. Total optimizer steps (give `steps` or
            `epochs`); rounded up to whole `checkpoint_every` periods.
        epochs: float, optional. Passes over the training tokens.
        recipe: str. Name of the recipe the values came from (recorded
            only). Defaults to `"adam"`.
        batch_size: int. Rows per replica and step. Defaults to `32`.
        unroll_steps: int. Tokens per row. Defaults to `20`.
        optimizer: str. `"adam"`, `"adamw"`, `"adagrad"` or `"sgd"`.
            Defaults to `"adam"`.
        learning_rate: float. Peak learning rate. Defaults to `4e-3`.
        warmup_steps: int. Linear warmup from 0 to `learning_rate`, capped
            at a tenth of the run's steps. Defaults to `200`.
        decay: str. `"cosine"` (to `final_learning_rate_fraction` x the
            peak at `decay_steps`) or `"constant"`. Defaults to `"cosine"`.
        decay_steps: int, optional. Step at which the decay ends; `None`
            for the run's `steps`.
        final_learning_rate_fraction: float. Defaults to `0.1`.
        global_clipnorm: float. Global gradient-norm clip; 0 for none.
            Defaults to `10.0`.
        weight_decay: float. Decoupled weight decay (`"adamw"` only).
            Defaults to `0.0`.
        initial_accumulator_value: float. Adagrad only. Defaults to `1.0`.
        softmax: str. `"full"`, `"sampled"` or `"auto"` (sampled, unless
            the vocabulary has no more words than `num_negative_samples`:
            then the full softmax, which costs no more). Defaults to
            `"auto"`.
        num_negative_samples: int. Negatives of the sampled softmax.
            Defaults to `8192`.
        dropout: float. Defaults to `0.0`.
        checkpoint_every: int. Steps per period (checkpoint + validation).
            Defaults to `1000`.
        keep_checkpoints: int. Defaults to `3`.
        log_every: int. TensorBoard train scalars every this many steps.
            Defaults to `100`.
        jit_compile: bool. Compile the train step: XLA on TensorFlow,
            `jax.jit` on JAX; PyTorch runs eagerly either way. Defaults to
            `True`.
        mixed_precision: `None`, `"mixed_bfloat16"` or `"mixed_float16"`.
        seed: int. Data, initialisation and sampler seed. Defaults to `0`.
        profile_steps: `(first, last)`, optional. Steps to profile
            (TensorFlow backend).
        steps_per_execution: int. Must divide `checkpoint_every`.
            Defaults to `1`.
        sampler_dtype: `"float64"`, `"float32"` or `None` (float32 under a
            TPU strategy, float64 otherwise).
        strategy: str. `"default"` (one device), `"data_parallel"` (JAX:
            every local device, `keras.distribution.DataParallel`), or on
            the TensorFlow backend `"mirrored"`, `"multi_worker"` or
            `"tpu"` (a `tf.distribute.Strategy` object can also be passed
            to `train_language_model`). Defaults to `"default"`.

    Example:

    ```python
    config = recipe("adam", train_files="corpus/train/*.txt",
                    vocabulary="vocab.txt", preset="elmo_small_en", steps=4500)
    train_language_model("runs/en", config)
    ```
    """

    train_files: object
    vocabulary: str
    options: object = None
    preset: str = None
    init_from: tuple = None
    validation_files: object = None
    validation_steps: int = None
    steps: int = None
    epochs: float = None
    recipe: str = "adam"
    batch_size: int = 32
    unroll_steps: int = 20
    optimizer: str = "adam"
    learning_rate: float = 4e-3
    warmup_steps: int = 200
    decay: str = "cosine"
    decay_steps: int = None
    final_learning_rate_fraction: float = 0.1
    global_clipnorm: float = 10.0
    weight_decay: float = 0.0
    initial_accumulator_value: float = 1.0
    softmax: str = "auto"
    num_negative_samples: int = 8192
    dropout: float = 0.0
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    log_every: int = 100
    jit_compile: bool = True
    mixed_precision: str = None
    seed: int = 0
    profile_steps: tuple = None
    steps_per_execution: int = 1
    sampler_dtype: str = None
    strategy: str = "default"

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "train_files", _as_list(self.train_files))
        set_(self, "validation_files", _as_list(self.validation_files))
        if not self.train_files:
            raise ValueError("`train_files` is empty: give a file or glob.")
        if isinstance(self.vocabulary, os.PathLike):
            set_(self, "vocabulary", os.fspath(self.vocabulary))
        if not isinstance(self.vocabulary, str):
            raise ValueError(
                "`vocabulary` must be a vocabulary file path. Received: "
                f"vocabulary={self.vocabulary!r}"
            )
        if isinstance(self.options, os.PathLike):
            set_(self, "options", os.fspath(self.options))
        if self.init_from is not None:
            if len(self.init_from) != 2:
                raise ValueError(
                    "`init_from` must be (options_file, weight_file). "
                    f"Received: init_from={self.init_from!r}"
                )
            set_(self, "init_from", tuple(os.fspath(p) for p in self.init_from))
        given = [
            name
            for name in ("options", "preset", "init_from")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "Give exactly one of `options`, `preset` and `init_from`. "
                f"Received: {given or 'none'}"
            )
        if self.preset is not None and (
            not isinstance(self.preset, str) or not self.preset
        ):
            raise ValueError(
                "`preset` must be a preset name, directory or URL. "
                f"Received: preset={self.preset!r}"
            )
        if (self.steps is None) == (self.epochs is None):
            raise ValueError(
                "Give `steps` or `epochs` (exactly one). Received: "
                f"steps={self.steps!r}, epochs={self.epochs!r}"
            )
        _positive_int("steps", self.steps, allow_none=True)
        if self.epochs is not None:
            _non_negative("epochs", self.epochs)
            if self.epochs == 0:
                raise ValueError("`epochs` must be > 0. Received: epochs=0")
        for name in (
            "batch_size",
            "unroll_steps",
            "num_negative_samples",
            "checkpoint_every",
            "keep_checkpoints",
            "log_every",
            "steps_per_execution",
        ):
            _positive_int(name, getattr(self, name))
        _positive_int("validation_steps", self.validation_steps, True)
        _positive_int("decay_steps", self.decay_steps, True)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("decay", self.decay, DECAYS)
        _choice("softmax", self.softmax, SOFTMAXES)
        _choice("strategy", self.strategy, STRATEGIES)
        _choice(
            "mixed_precision",
            self.mixed_precision,
            (None, "mixed_bfloat16", "mixed_float16"),
        )
        _choice(
            "sampler_dtype", self.sampler_dtype, (None, "float32", "float64")
        )
        for name in (
            "learning_rate",
            "final_learning_rate_fraction",
            "global_clipnorm",
            "weight_decay",
            "initial_accumulator_value",
            "dropout",
        ):
            _non_negative(name, getattr(self, name))
        if self.learning_rate == 0:
            raise ValueError("`learning_rate` must be > 0.")
        if not 0 <= self.dropout < 1:
            raise ValueError(
                f"`dropout` must be in [0, 1). Received: dropout={self.dropout}"
            )
        if isinstance(self.warmup_steps, bool) or not isinstance(
            self.warmup_steps, int
        ):
            raise ValueError(
                "`warmup_steps` must be an int >= 0. Received: "
                f"warmup_steps={self.warmup_steps!r}"
            )
        _non_negative("warmup_steps", self.warmup_steps)
        if self.weight_decay and self.optimizer != "adamw":
            raise ValueError(
                "`weight_decay` needs optimizer='adamw'. Received: "
                f"optimizer={self.optimizer!r}"
            )
        if self.profile_steps is not None:
            set_(self, "profile_steps", tuple(self.profile_steps))

    def replace(self, **changes):
        """A copy with `changes` (validated again)."""
        return dataclasses.replace(self, **changes)

    def uses_full_softmax(self, vocab_size):
        """Whether training uses the exact softmax for `vocab_size` words.

        `"auto"` takes the full softmax only where it costs no more than
        sampling: when the vocabulary has no more words than there are
        negatives. Measured on the shipped corpus (docs/training.md): a
        37,296-word full softmax step took 0.92 CPU-s against 0.55 with
        8,192 negatives, and on an equal CPU budget the sampled runs
        reached the lower held-out perplexity (full-softmax evaluation).
        """
        if self.softmax == "full":
            return True
        return self.num_negative_samples >= vocab_size

    def to_dict(self):
        """The fields as JSON values."""
        values = dataclasses.asdict(self)
        for key in ("init_from", "profile_steps"):
            if values[key] is not None:
                values[key] = list(values[key])
        return values

    @classmethod
    def from_dict(cls, values):
        """The config stored by `to_dict` (unknown keys are an error)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - fields)
        if unknown:
            raise ValueError(
                f"Unknown training config fields {unknown}; known: "
                f"{sorted(fields)}"
            )
        return cls(**values)


def recipe(name="adam", **fields):
    """A `TrainingConfig` from a named recipe, with `fields` overriding it.

    Args:
        name: str. A key of `RECIPES`: `"adam"` (the default, see the
            module docstring) or `"bilm_tf"`.
        **fields: `TrainingConfig` fields (data, length, overrides).

    Returns:
        A validated `TrainingConfig`.

    Example:

    >>> config = recipe("bilm_tf", train_files="train/*.txt",
    ...                 vocabulary="vocab.txt", preset="elmo_small_en",
    ...                 steps=1000)
    >>> config.optimizer, config.learning_rate
    ('adagrad', 0.2)
    """
    if name not in RECIPES:
        raise ValueError(
            f"Unknown recipe {name!r}; known recipes: {sorted(RECIPES)}"
        )
    values = dict(RECIPES[name])
    values.update(fields)
    values["recipe"] = name
    return TrainingConfig(**values)


RECIPES = {
    # The default; measured in docs/training.md ("Recipe comparison").
    "adam": {
        "optimizer": "adam",
        "learning_rate": 4e-3,
        "warmup_steps": 200,
        "decay": "cosine",
        "final_learning_rate_fraction": 0.1,
        "global_clipnorm": 10.0,
        "softmax": "auto",
        "dropout": 0.0,
        "batch_size": 32,
        "unroll_steps": 20,
    },
    # bilm-tf's train_elmo.py, tuned for 10 epochs of 1B words on 3 GPUs.
    "bilm_tf": {
        "optimizer": "adagrad",
        "learning_rate": 0.2,
        "initial_accumulator_value": 1.0,
        "warmup_steps": 0,
        "decay": "constant",
        "global_clipnorm": 10.0,
        "softmax": "sampled",
        "num_negative_samples": 8192,
        "dropout": 0.1,
        "batch_size": 128,
        "unroll_steps": 20,
    },
}


def vocabulary_sha256(tokens):
    """SHA-256 of a vocabulary's content (tokens in order, one a line)."""
    digest = hashlib.sha256()
    for token in tokens:
        digest.update(token.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()


def run_record(config, options, tokens):
    """What `training_config.json` holds: the config and what it resolved.

    Args:
        config: a `TrainingConfig`.
        options: dict. The resolved biLM options.
        tokens: list of str. The vocabulary.

    Returns:
        A JSON-serialisable dict: `config` (the fields) and the resolved
        `options`, `vocab_size`, `vocabulary_sha256`, `batch_size`,
        `unroll_steps`, `optimizer` and `full_softmax` (top level, as
        compared on resume).
    """
    return json.loads(
        json.dumps(
            {
                "config": config.to_dict(),
                "options": options,
                "vocab_size": len(tokens),
                "vocabulary_sha256": vocabulary_sha256(tokens),
                "batch_size": config.batch_size,
                "unroll_steps": config.unroll_steps,
                "optimizer": config.optimizer,
                "full_softmax": config.uses_full_softmax(len(tokens)),
                # Negatives per call as the model uses them (the vocabulary
                # size for the full softmax).
                "num_negative_samples": (
                    len(tokens)
                    if config.uses_full_softmax(len(tokens))
                    else config.num_negative_samples
                ),
                "steps": config.steps,
                "dropout": config.dropout,
                "seed": config.seed,
                "mixed_precision": config.mixed_precision,
                "train_files": config.train_files,
            }
        )
    )


def read_run_record(path):
    """The dict of a run's `training_config.json`, or an error naming it.

    Args:
        path: str. The file.

    Raises:
        ValueError: the file is not a JSON object (truncated by a full
            disk, edited by hand), naming the file and the problem.

    Example:

    >>> read_run_record("runs/en/training_config.json")["vocab_size"]
    """
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path} is not valid JSON ({error}); the run's record is "
            "damaged. Restore it, or start the run in a new output "
            "directory."
        ) from None
    if not isinstance(record, dict):
        raise ValueError(
            f"{path} must hold a JSON object; it holds a "
            f"{type(record).__name__}."
        )
    return record


def check_resume(path, record):
    """Raise if the run recorded in `path` differs from `record`.

    Runs written before the vocabulary hash was recorded are compared by
    vocabulary size.

    Args:
        path: str. An existing `training_config.json`.
        record: dict. `run_record(...)` of the run about to resume.

    Returns:
        list of str: the settings of `RESUME_REPORTED_FIELDS` that differ
        from the recorded run's (allowed), as "`name` old -> new".

    Raises:
        ValueError: naming the first field that differs.
    """
    previous = read_run_record(path)
    keys = list(RESUME_FIELDS)
    if "vocabulary_sha256" not in previous:
        keys[keys.index("vocabulary_sha256")] = "vocab_size"
    for key in keys:
        if key == "optimizer" and "optimizer" not in previous:
            continue
        old, new = previous.get(key), record[key]
        if key == "optimizer" and isinstance(old, str):
            old = old.lower()  # older runs stored the class name
        if old != new:
            what = (
                "the vocabulary's content"
                if key == "vocabulary_sha256"
                else f"`{key}`"
            )
            raise ValueError(
                f"{path} was written for a different run: {what} was "
                f"{old!r}, now {new!r}. Use a new output directory, or the "
                "same arguments to resume."
            )
    started, now = previous.get("config", {}), record["config"]
    return [
        f"`{key}` {started[key]!r} -> {now[key]!r}"
        for key in RESUME_REPORTED_FIELDS
        if key in started and started[key] != now.get(key)
    ]
