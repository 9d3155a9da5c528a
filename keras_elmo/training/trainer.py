"""`train_language_model`: folder of text -> trained, resumable biLM.

The whole training loop is `model.fit`; this module wires the pieces:
strategy scope, data pipeline, `ELMoLanguageModel`, TensorBoard logging,
periodic checkpoints with automatic resume, and the final export in the
original hdf5 format.

Layout of `output_dir`:

    training_config.json   options, vocabulary size and training arguments
    vocabulary.txt         the target vocabulary (original format)
    checkpoints/           tf.train checkpoints of the weights and optimizer
                           state (by variable path), the last N
    logs/train, logs/validation   TensorBoard event files
    export/                a preset (`ELMoLanguageModel.save_to_preset`):
                           options.json + weights.hdf5 (original format,
                           with the softmax as `softmax/W`, `softmax/b`) +
                           vocabulary.txt + metadata.json, written when
                           training ends
"""

import json
import math
import os

import keras
import tensorflow as tf

from keras_elmo.conversion.bilm_hdf5 import has_softmax
from keras_elmo.conversion.bilm_hdf5 import load_bilm_weights
from keras_elmo.conversion.bilm_hdf5 import load_softmax_weights
from keras_elmo.conversion.bilm_options import config_to_options
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.conversion.bilm_options import validate_options
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.preprocessing.word_vocabulary import save_vocabulary
from keras_elmo.preprocessing.word_vocabulary import validate_vocabulary
from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.preset_handles import builtin_preset_config
from keras_elmo.presets.preset_handles import resolve_preset
from keras_elmo.training.callbacks import CheckpointSaver
from keras_elmo.training.callbacks import TrainingLogger
from keras_elmo.training.checkpoints import restore_training_checkpoint
from keras_elmo.training.checkpoints import training_checkpoint
from keras_elmo.training.data import count_tokens
from keras_elmo.training.data import make_lm_dataset
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.backend import PRETRAIN_ELSEWHERE
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.distribution import worker_count
from keras_elmo.utils.files import list_files

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


def _with_shard_policy(dataset, policy):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policy
    return dataset.with_options(options)


def _validation_data(
    files, tokens, global_batch, unroll_steps, validation_steps, num_workers
):
    """The held-out batches, repeated, and the steps of one pass per worker.

    Every evaluation sees the same batches: one pass of `batches` batches
    (a multiple of the number of workers, so that each worker of a
    `MultiWorkerMirroredStrategy` evaluates the same number of steps),
    repeated so that Keras' cached evaluation iterator never runs dry.
    """
    batches = count_tokens(files) // (global_batch * unroll_steps)
    if validation_steps:
        batches = min(batches, int(validation_steps))
    batches -= batches % num_workers
    if batches < 1:
        raise ValueError(
            f"The validation files {files!r} hold fewer tokens than one "
            f"global batch per worker ({num_workers} x {global_batch} rows x "
            f"{unroll_steps} tokens): give more held-out text or a smaller "
            "`batch_size`."
        )
    data = make_lm_dataset(
        files,
        tokens,
        batch_size=global_batch,
        unroll_steps=unroll_steps,
        shuffle=False,
    )
    data = data.take(batches).repeat()
    # Batch i goes to worker i % num_workers: equal shares.
    data = _with_shard_policy(data, tf.data.experimental.AutoShardPolicy.DATA)
    return data, batches // num_workers


def _resolve_options(options, preset, init_from):
    if init_from is not None:
        return read_options(init_from[0])
    if (options is None) == (preset is None):
        raise ValueError("Give exactly one of `options` and `preset`.")
    if preset is not None:
        # The architecture only: a built-in name needs no download.
        if preset in BUILTIN_PRESETS:
            return config_to_options(builtin_preset_config(preset))
        return resolve_preset(preset).options()
    if isinstance(options, (str, os.PathLike)):
        return read_options(options)
    return validate_options(options)


def _write_json(path, value):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=2, sort_keys=True)


def _optimizer_name(optimizer):
    if optimizer == "auto":
        return "Adagrad"
    if isinstance(optimizer, str):
        return type(keras.optimizers.get(optimizer)).__name__
    return type(optimizer).__name__


def _check_resume_config(path, config):
    with open(path, encoding="utf-8") as f:
        previous = json.load(f)
    config = json.loads(json.dumps(config))  # as it would be stored
    keys = ["options", "vocab_size", "batch_size", "unroll_steps"]
    if "optimizer" in previous:  # the checkpoint holds its state
        keys.append("optimizer")
    for key in keys:
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
    steps_per_execution=1,
    sampler_dtype=None,
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
        preset: str. A preset whose architecture to train from scratch: a
            built-in name (`keras_elmo.ELMo.presets`, no download), a
            preset directory or URL.
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
        optimizer: `"auto"` (bilm-tf's Adagrad 0.2, clip 10) or an optimizer
            (under a distribution strategy, a fresh copy made from its config
            inside the strategy scope is used).
        strategy: a `tf.distribute.Strategy` or a name (see `make_strategy`).
        jit_compile: bool. XLA-compile the train step. Defaults to `True`.
        mixed_precision: `None`, `"mixed_bfloat16"` or `"mixed_float16"`.
        seed: int. Data and sampler seed. Defaults to `0`.
        init_from: `(options_file, weight_file)` of an original ELMo to
            fine-tune (bilm-tf's "restart"); the softmax starts fresh unless
            the weight file holds `softmax/W` and `softmax/b`.
        profile_steps: `(first, last)` steps to profile, or `None`.
        steps_per_execution: int. Train steps per compiled call (use more
            than 1 on TPUs to amortise the host round trip); must divide
            `checkpoint_every`. Defaults to `1`.
        sampler_dtype: `"float64"`, `"float32"` or `None` for float32 under
            `TPUStrategy` (TPUs have no float64) and float64 otherwise.
        verbose: int. Keras progress bar verbosity.

    Returns:
        A dict: the final `step`, the `history` of this call's `fit` (None
        if the run was already complete), the `export_dir` and the trained
        `model` (`ELMoLanguageModel`).

    Example:

    ```python
    train_language_model("runs/en", "corpus/train/*.txt", "vocab.txt",
                         preset="small", steps=10_000)
    ```
    """
    require_tensorflow_backend(
        "Pretraining with `train_language_model` (tf.data, tf.distribute)",
        PRETRAIN_ELSEWHERE,
    )
    if steps is None and epochs is None:
        raise ValueError("Give `steps` or `epochs`.")
    # First: MultiWorkerMirroredStrategy must exist before any TF op runs.
    if isinstance(strategy, str):
        strategy = make_strategy(strategy)
    if sampler_dtype is None:
        # TPUs have no float64.
        tpu = isinstance(strategy, tf.distribute.TPUStrategy)
        sampler_dtype = "float32" if tpu else "float64"
    options = _resolve_options(options, preset, init_from)
    # Fail on bad inputs before writing anything.
    list_files(train_files)
    if validation_files:
        list_files(validation_files)
    tokens = (
        load_vocabulary(vocabulary)
        if isinstance(vocabulary, (str, os.PathLike))
        else validate_vocabulary(vocabulary)
    )
    steps_per_execution = int(steps_per_execution)
    replicas = strategy.num_replicas_in_sync
    global_batch = batch_size * replicas
    tokens_per_step = global_batch * unroll_steps
    if steps is None:
        steps = max(
            1, math.ceil(epochs * count_tokens(train_files) / tokens_per_step)
        )
    checkpoint_every = max(1, min(int(checkpoint_every), int(steps)))
    if checkpoint_every % steps_per_execution:
        raise ValueError(
            "`checkpoint_every` must be a multiple of `steps_per_execution`. "
            f"Received: checkpoint_every={checkpoint_every}, "
            f"steps_per_execution={steps_per_execution}"
        )
    periods = math.ceil(steps / checkpoint_every)

    # Only the chief writes the run's files; the other workers of a
    # MultiWorkerMirroredStrategy compute the same values.
    chief = strategy.extended.should_checkpoint
    num_workers = worker_count(strategy)
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
        "optimizer": _optimizer_name(optimizer),
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

    distributed = strategy is not tf.distribute.get_strategy()
    with strategy.scope():
        if distributed and not isinstance(optimizer, str):
            # An optimizer made outside the scope has plain variables: each
            # replica would add its step to `iterations`. Use a copy made
            # here, from its config.
            optimizer = keras.optimizers.deserialize(
                keras.optimizers.serialize(optimizer)
            )
        elmo = ELMo(
            **options_to_config(options),
            dropout=dropout,
            dtype=mixed_precision,
            name="elmo",
        )
        model = ELMoLanguageModel(
            elmo,
            len(tokens),
            num_negative_samples=num_negative_samples,
            dropout=dropout,
            seed=seed,
            sampler_dtype=sampler_dtype,
            dtype=mixed_precision,
        )
        model.compile(
            optimizer=optimizer,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
        )
        model.optimizer.build(model.trainable_variables)
        checkpoint = training_checkpoint(model)
    # Every worker restores the chief's checkpoint (`output_dir` must be
    # shared by the workers) and must save too (the save is collective);
    # the other workers save to a scratch directory.
    checkpoint_dir = os.path.join(output_dir, "checkpoints")
    latest = tf.train.latest_checkpoint(checkpoint_dir)
    if not chief:
        checkpoint_dir = os.path.join(
            output_dir, ".workers", str(strategy.cluster_resolver.task_id)
        )
    manager = tf.train.CheckpointManager(
        checkpoint, checkpoint_dir, max_to_keep=keep_checkpoints
    )
    if latest:
        restore_training_checkpoint(model, latest)
    elif init_from is not None:
        load_bilm_weights(model.elmo, init_from[1])
        _load_softmax_if_present(model, init_from[1])
    step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    if latest and verbose:
        print(f"Resuming from {latest} at step {step}.", flush=True)
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
        if len(list_files(train_files)) < num_workers:
            # Too few files to give each worker its own: every worker
            # reads all and keeps every num_workers-th batch.
            train_data = _with_shard_policy(
                train_data, tf.data.experimental.AutoShardPolicy.DATA
            )
        validation_data = validation_steps_per_pass = None
        if validation_files:
            validation_data, validation_steps_per_pass = _validation_data(
                validation_files,
                tokens,
                global_batch,
                unroll_steps,
                validation_steps,
                num_workers,
            )
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
            validation_steps=validation_steps_per_pass,
            callbacks=callbacks,
            verbose=verbose,
        ).history
        step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    export_dir = os.path.join(output_dir, "export")
    if chief:
        model.save_to_preset(export_dir, vocabulary=tokens)
    return {
        "step": step,
        "history": history,
        "export_dir": export_dir,
        "model": model,
    }


def _load_softmax_if_present(model, weight_file):
    if has_softmax(weight_file):
        load_softmax_weights(model.softmax, weight_file)
