"""`train_language_model`: folder of text -> trained, resumable biLM.

The whole training loop is `model.fit`; this module wires the pieces:
strategy scope, data pipeline, `ELMoLanguageModel`, TensorBoard logging,
periodic checkpoints with automatic resume, and the final export in the
original hdf5 format.

Layout of `output_dir`:

    training_config.json   options, vocabulary size and training arguments
    vocabulary.txt         the target vocabulary (original format)
    checkpoints/           tf.train checkpoints (model + optimizer), last N
    logs/train, logs/validation   TensorBoard event files
    export/                options.json + weights.hdf5 (original format,
                           with the softmax as `softmax/W`, `softmax/b`) +
                           vocabulary.txt, written when training ends
"""

import json
import math
import os

import keras
import tensorflow as tf

from keras_elmo.conversion.bilm_hdf5 import load_bilm_weights
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.conversion.bilm_options import validate_options
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.models.elmo_presets import preset_options
from keras_elmo.training.callbacks import CheckpointSaver
from keras_elmo.training.callbacks import TrainingLogger
from keras_elmo.training.data import count_tokens
from keras_elmo.training.data import make_lm_dataset
from keras_elmo.training.export import export_language_model
from keras_elmo.training.vocabulary import load_vocabulary
from keras_elmo.training.vocabulary import save_vocabulary
from keras_elmo.utils.atomic import atomic_path

CONFIG_FILE = "training_config.json"
VOCABULARY_FILE = "vocabulary.txt"
STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def make_strategy(name):
    """A `tf.distribute` strategy by name.

    Args:
        name: `"default"` (one device), `"mirrored"` (all local devices),
            `"multi_worker"` (`MultiWorkerMirroredStrategy`, configured by
            the `TF_CONFIG` environment variable) or `"tpu"` (`TPUStrategy`
            on the TPU named by the environment).

    Example:

    >>> strategy = make_strategy("mirrored")
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(
        f"`strategy` must be one of {STRATEGIES}. Received: {name!r}"
    )


def _is_chief():
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = config.get("task", {})
    return task.get("type", "chief") == "chief" or (
        task.get("type") == "worker"
        and task.get("index", 0) == 0
        and "chief" not in config.get("cluster", {})
    )


def _resolve_options(options, preset, init_from):
    if init_from is not None:
        return read_options(init_from[0])
    if (options is None) == (preset is None):
        raise ValueError("Give exactly one of `options` and `preset`.")
    if preset is not None:
        return preset_options(preset)
    if isinstance(options, (str, os.PathLike)):
        return read_options(options)
    return validate_options(options)


def _write_json(path, value):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=2, sort_keys=True)


def _check_resume_config(path, config):
    with open(path, encoding="utf-8") as f:
        previous = json.load(f)
    for key in ("options", "vocab_size", "batch_size", "unroll_steps"):
        if previous.get(key) != config[key]:
            raise ValueError(
                f"{path} was written for a different run: `{key}` was "
                f"{previous.get(key)!r}, now {config[key]!r}. Use a new "
                "output directory, or the same arguments to resume."
            )


def train_language_model(
    output_dir,
    train_files,
    vocabulary,
    options=None,
    preset=None,
    validation_files=None,
    batch_size=128,
    unroll_steps=20,
    steps=None,
    epochs=None,
    checkpoint_every=1000,
    keep_checkpoints=3,
    log_every=100,
    validation_steps=None,
    num_negative_samples=8192,
    dropout=0.1,
    optimizer="auto",
    strategy="default",
    jit_compile=True,
    mixed_precision=None,
    seed=0,
    init_from=None,
    profile_steps=None,
    verbose=1,
):
    """Pretrain (or fine-tune) an ELMo biLM; resumes automatically.

    Training runs in periods of `checkpoint_every` steps; after each period
    a checkpoint is written and validation runs. Starting again with the
    same `output_dir` restores the latest checkpoint (weights, optimizer
    state, step) and continues from its step; the data stream restarts
    with a shuffle seed derived from the period, so batches are not
    replayed in the same order.

    Args:
        output_dir: str. Where checkpoints, logs and the export go.
        train_files: str or list. Text files or globs, one sentence a line.
        vocabulary: str (vocabulary file) or list of tokens.
        options: dict or options.json path; or use `preset`.
        preset: `"small"`, `"medium"` or `"original"`.
        validation_files: str or list, optional. Held-out text.
        batch_size: int. Rows per replica and step. Defaults to `128`.
        unroll_steps: int. Tokens per row. Defaults to `20`.
        steps: int. Total optimizer steps (rounded up to whole periods).
        epochs: float. Passes over the training tokens (if `steps` is None).
        checkpoint_every: int. Steps per period. Defaults to `1000`.
        keep_checkpoints: int. Checkpoints kept. Defaults to `3`.
        log_every: int. TensorBoard train scalars every this many steps.
        validation_steps: int, optional. Cap on validation batches.
        num_negative_samples: int. Defaults to `8192`.
        dropout: float. Defaults to `0.1`.
        optimizer: `"auto"` (bilm-tf's Adagrad 0.2, clip 10) or an optimizer.
        strategy: a `tf.distribute.Strategy` or a name (see `make_strategy`).
        jit_compile: bool. XLA-compile the train step. Defaults to `True`.
        mixed_precision: `None`, `"mixed_bfloat16"` or `"mixed_float16"`.
        seed: int. Data and sampler seed. Defaults to `0`.
        init_from: `(options_file, weight_file)` of an original ELMo to
            fine-tune (bilm-tf's "restart"); the softmax starts fresh unless
            the weight file holds `softmax/W` and `softmax/b`.
        profile_steps: `(first, last)` steps to profile, or `None`.
        verbose: int. Keras progress bar verbosity.

    Returns:
        A dict with `step`, the last `history` and the `export_dir`.

    Example:

    ```python
    train_language_model("runs/en", "corpus/train/*.txt", "vocab.txt",
                         preset="small", steps=10_000)
    ```
    """
    if steps is None and epochs is None:
        raise ValueError("Give `steps` or `epochs`.")
    if isinstance(strategy, str):
        strategy = make_strategy(strategy)
    options = _resolve_options(options, preset, init_from)
    tokens = (
        load_vocabulary(vocabulary)
        if not isinstance(vocabulary, list)
        else vocabulary
    )
    replicas = strategy.num_replicas_in_sync
    global_batch = batch_size * replicas
    tokens_per_step = global_batch * unroll_steps
    if steps is None:
        steps = max(
            1, math.ceil(epochs * count_tokens(train_files) / tokens_per_step)
        )
    checkpoint_every = max(1, min(int(checkpoint_every), int(steps)))
    periods = math.ceil(steps / checkpoint_every)

    chief = _is_chief()
    os.makedirs(output_dir, exist_ok=True)
    config = {
        "options": options,
        "vocab_size": len(tokens),
        "batch_size": batch_size,
        "unroll_steps": unroll_steps,
        "steps": steps,
        "num_negative_samples": num_negative_samples,
        "dropout": dropout,
        "seed": seed,
        "mixed_precision": mixed_precision,
        "train_files": train_files
        if isinstance(train_files, list)
        else [str(train_files)],
    }
    config_path = os.path.join(output_dir, CONFIG_FILE)
    if os.path.exists(config_path):
        _check_resume_config(config_path, config)
    elif chief:
        _write_json(config_path, config)
        save_vocabulary(tokens, os.path.join(output_dir, VOCABULARY_FILE))

    with strategy.scope():
        model = ELMoLanguageModel(
            options,
            len(tokens),
            num_negative_samples=num_negative_samples,
            dropout=dropout,
            seed=seed,
            dtype=mixed_precision,
        )
        model.compile(optimizer=optimizer, jit_compile=jit_compile)
        model.optimizer.build(model.trainable_variables)
        checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    checkpoint_dir = os.path.join(output_dir, "checkpoints")
    if not chief:
        # Every worker must save (the save is collective); only the
        # chief's copy is kept.
        checkpoint_dir = os.path.join(output_dir, ".workers", str(os.getpid()))
    manager = tf.train.CheckpointManager(
        checkpoint, checkpoint_dir, max_to_keep=keep_checkpoints
    )
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).expect_partial()
    elif init_from is not None:
        load_bilm_weights(model.elmo, init_from[1])
        _load_softmax_if_present(model, init_from[1])
    step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    initial_period = step // checkpoint_every

    history = None
    if initial_period < periods:
        train_data = make_lm_dataset(
            train_files,
            tokens,
            batch_size=global_batch,
            unroll_steps=unroll_steps,
            seed=seed + initial_period,
            repeat=True,
        )
        validation_data = None
        if validation_files:
            validation_data = make_lm_dataset(
                validation_files,
                tokens,
                batch_size=global_batch,
                unroll_steps=unroll_steps,
                shuffle=False,
            )
            if validation_steps:
                validation_data = validation_data.take(validation_steps)
        callbacks = [CheckpointSaver(manager)]
        if chief:
            callbacks.insert(
                0,
                TrainingLogger(
                    os.path.join(output_dir, "logs"),
                    tokens_per_step,
                    log_every=log_every,
                    profile_steps=profile_steps,
                ),
            )
        history = model.fit(
            train_data,
            epochs=periods,
            initial_epoch=initial_period,
            steps_per_epoch=checkpoint_every,
            validation_data=validation_data,
            callbacks=callbacks,
            verbose=verbose,
        ).history
        step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    export_dir = os.path.join(output_dir, "export")
    if chief:
        export_language_model(model, tokens, export_dir)
    return {"step": step, "history": history, "export_dir": export_dir}


def _load_softmax_if_present(model, weight_file):
    import h5py

    with h5py.File(weight_file, "r") as f:
        if "softmax/W" in f and "softmax/b" in f:
            model.softmax.softmax_weights.assign(f["softmax/W"][...])
            model.softmax.softmax_bias.assign(f["softmax/b"][...])
