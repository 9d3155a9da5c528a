"""`train_language_model`: folder of text -> trained, resumable biLM.

The whole training loop is `model.fit`; this module wires the pieces:
distribution, data pipeline, `ELMoLanguageModel`, TensorBoard logging,
periodic checkpoints with automatic resume, and the final export in the
original hdf5 format.

Every Keras backend trains. On TensorFlow: the tf.data pipeline
(`make_lm_dataset`), `tf.distribute` strategies and `tf.train`
checkpoints, as before; a resumed run restarts its data stream with a seed
derived from the period. On JAX and PyTorch (no TensorFlow needed): the
NumPy pipeline (`make_lm_pydataset`), whose exact position is saved in
every checkpoint, so that a resumed run reads the very batches an
uninterrupted run would; on JAX, `strategy="data_parallel"` splits each
global batch over all local devices (`keras.distribution.DataParallel`).

Layout of `output_dir`:

    training_config.json   the `TrainingConfig` and what it resolved to
                           (options, vocabulary size and SHA-256, ...);
                           written last at start, checked on resume
    vocabulary.txt         the target vocabulary (original format)
    checkpoints/           the weights and optimizer state (by variable
                           path), the last N: tf.train checkpoints on the
                           TensorFlow backend; on JAX and PyTorch
                           ckpt-<step>/ directories that also hold the
                           data position (`checkpoint_files`)
    logs/train, logs/validation   TensorBoard event files
    export/                a preset (`ELMoLanguageModel.save_to_preset`):
                           options.json + weights.hdf5 (original format,
                           with the softmax as `softmax/W`, `softmax/b`) +
                           vocabulary.txt + metadata.json (naming the
                           training and held-out files), written when
                           training ends
"""

import contextlib
import dataclasses
import json
import math
import os
from typing import NamedTuple

import keras

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
from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.preset_handles import builtin_preset_config
from keras_elmo.presets.preset_handles import resolve_preset
from keras_elmo.training.callbacks import CheckpointSaver
from keras_elmo.training.callbacks import TrainingLogger
from keras_elmo.training.callbacks import check_profiling
from keras_elmo.training.checkpoint_files import CheckpointFiles
from keras_elmo.training.checkpoint_files import restore_checkpoint
from keras_elmo.training.checkpoints import latest_run_checkpoint
from keras_elmo.training.checkpoints import restore_training_checkpoint
from keras_elmo.training.checkpoints import training_checkpoint
from keras_elmo.training.data import make_lm_dataset
from keras_elmo.training.optimizers import make_optimizer
from keras_elmo.training.pydataset import count_tokens
from keras_elmo.training.pydataset import make_lm_pydataset
from keras_elmo.training.training_config import STRATEGIES
from keras_elmo.training.training_config import TrainingConfig
from keras_elmo.training.training_config import check_resume
from keras_elmo.training.training_config import run_record
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.backend import default_jit_compile
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.distribution import worker_count
from keras_elmo.utils.files import list_files

CONFIG_FILE = "training_config.json"
VOCABULARY_FILE = "vocabulary.txt"
# The `tf.distribute` strategies (TensorFlow backend).
TF_STRATEGIES = ("mirrored", "multi_worker", "tpu")


def _on_tensorflow():
    return keras.config.backend() == "tensorflow"


def make_strategy(name):
    """A `tf.distribute` strategy by name (TensorFlow backend).

    Args:
        name: `"default"` (one device), `"mirrored"` (all local devices),
            `"multi_worker"` (`MultiWorkerMirroredStrategy`, configured by
            the `TF_CONFIG` environment variable) or `"tpu"` (`TPUStrategy`
            on the TPU named by the environment).

    Example:

    >>> strategy = make_strategy("mirrored")
    """
    if name not in STRATEGIES or name == "data_parallel":
        raise ValueError(
            f"`strategy` must be one of {('default', *TF_STRATEGIES)} on "
            f"the TensorFlow backend. Received: {name!r}"
        )
    require_tensorflow_backend(
        f"The tf.distribute strategy {name!r}",
        "on JAX use strategy='data_parallel' (keras.distribution)",
    )
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


class _Distribution(NamedTuple):
    """Where the run's steps execute, whatever the backend."""

    strategy: object  # a tf.distribute.Strategy, or None off TensorFlow
    keras_distribution: object  # a keras.distribution.Distribution or None
    replicas: int  # replicas (devices) that share one global batch
    chief: bool  # the process that writes the run's files
    num_workers: int  # processes that each run the program
    sampler_dtype: str

    def scope(self):
        if self.strategy is not None:
            return self.strategy.scope()
        if self.keras_distribution is not None:
            return self.keras_distribution.scope()
        return contextlib.nullcontext()


def _tensorflow_distribution(config, strategy):
    import tensorflow as tf

    if strategy is None or isinstance(strategy, str):
        strategy = make_strategy(strategy or config.strategy)
    sampler_dtype = config.sampler_dtype
    if sampler_dtype is None:
        # TPUs have no float64.
        tpu = isinstance(strategy, tf.distribute.TPUStrategy)
        sampler_dtype = "float32" if tpu else "float64"
    return _Distribution(
        strategy=strategy,
        keras_distribution=None,
        replicas=strategy.num_replicas_in_sync,
        # Only the chief writes the run's files; the other workers of a
        # MultiWorkerMirroredStrategy compute the same values.
        chief=strategy.extended.should_checkpoint,
        num_workers=worker_count(strategy),
        sampler_dtype=sampler_dtype,
    )


def _keras_distribution(config, strategy):
    """JAX and PyTorch: one process, optionally `DataParallel` on JAX."""
    name = config.strategy if strategy is None else strategy
    if not isinstance(name, str):
        raise ValueError(
            f"`strategy` must be a name on the {keras.config.backend()!r} "
            f"backend (a tf.distribute strategy needs TensorFlow). "
            f"Received: {strategy!r}"
        )
    if name in TF_STRATEGIES:
        require_tensorflow_backend(
            f"The tf.distribute strategy {name!r}",
            "on JAX use strategy='data_parallel' (keras.distribution)",
        )
    if name not in ("default", "data_parallel"):
        raise ValueError(
            f"`strategy` must be one of {STRATEGIES}. Received: {name!r}"
        )
    distribution = None
    replicas = 1
    if name == "data_parallel":
        if keras.config.backend() != "jax":
            raise ValueError(
                "strategy='data_parallel' (keras.distribution.DataParallel) "
                "runs on the JAX backend; this process runs "
                f"{keras.config.backend()!r}."
            )
        devices = keras.distribution.list_devices()
        distribution = keras.distribution.DataParallel(devices=devices)
        replicas = len(devices)
    return _Distribution(
        strategy=None,
        keras_distribution=distribution,
        replicas=replicas,
        chief=True,
        num_workers=1,
        sampler_dtype=config.sampler_dtype or "float64",
    )


def _setup_distribution(config, strategy):
    """Phase 1: the strategy or Keras distribution, before any op runs."""
    if _on_tensorflow():
        return _tensorflow_distribution(config, strategy)
    if config.profile_steps:
        check_profiling()
    return _keras_distribution(config, strategy)


def _with_shard_policy(dataset, policy):
    import tensorflow as tf

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
    if not _on_tensorflow():
        # A finite dataset that starts over at each evaluation.
        data = make_lm_pydataset(
            files,
            tokens,
            batch_size=global_batch,
            unroll_steps=unroll_steps,
            shuffle=False,
            num_batches=batches,
        )
        return data, batches
    import tensorflow as tf

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


def _resolve_options(config):
    if config.init_from is not None:
        return read_options(config.init_from[0])
    if config.preset is not None:
        # The architecture only: a built-in name needs no download.
        if config.preset in BUILTIN_PRESETS:
            return config_to_options(builtin_preset_config(config.preset))
        return resolve_preset(config.preset).options()
    if isinstance(config.options, str):
        return read_options(config.options)
    return validate_options(config.options)


def _write_json(path, value):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=2, sort_keys=True)


@dataclasses.dataclass
class _Run:
    """The state of one call of `train_language_model`, phase to phase."""

    output_dir: str
    config: TrainingConfig
    tokens: list
    plan: "_RunPlan"
    distribution: _Distribution
    validation: tuple = None  # (data, steps) or None
    model: ELMoLanguageModel = None
    checkpoint: object = None  # the tf.train.Checkpoint (TensorFlow)
    manager: object = None  # what CheckpointSaver saves
    latest: str = None  # the checkpoint resumed from
    step: int = 0
    data_position: dict = None  # the NumPy pipeline's, from the checkpoint

    @property
    def checkpoint_dir(self):
        return os.path.join(self.output_dir, "checkpoints")


def train_language_model(
    output_dir, config, optimizer=None, strategy=None, callbacks=(), verbose=1
):
    """Pretrain (or fine-tune) an ELMo biLM; resumes automatically.

    Training runs in periods of `config.checkpoint_every` steps; after each
    period a checkpoint is written and validation runs. Starting again with
    the same `output_dir` restores the latest checkpoint (weights,
    optimizer state, step) and continues from its step. On JAX and PyTorch
    the data position is restored too, so the resumed run reads exactly
    the batches an uninterrupted run would; on TensorFlow the data stream
    restarts with a shuffle seed derived from the period, so batches are
    not replayed in the same order.

    Every input is checked before anything is written: a run that cannot
    start leaves no `training_config.json` behind. On resume the stored
    config must agree on the options, the vocabulary's content (SHA-256),
    the batch shape and the optimizer (`check_resume`).

    Args:
        output_dir: str. Where checkpoints, logs and the export go.
        config: a `TrainingConfig` (see `recipe` for named recipes).
        optimizer: a Keras optimizer replacing the config's, optional
            (under a distribution strategy, a fresh copy made from its
            config inside the strategy scope is used).
        strategy: a `tf.distribute.Strategy` (TensorFlow backend) or a
            strategy name, replacing `config.strategy`; optional.
        callbacks: more Keras callbacks for `fit` (e.g. a time budget).
        verbose: int. Keras progress bar verbosity. Defaults to `1`.

    Returns:
        A dict: the final `step`, the `history` of this call's `fit` (None
        if the run was already complete), the `export_dir` and the trained
        `model` (`ELMoLanguageModel`).

    Example:

    ```python
    config = recipe("adam", train_files="corpus/train/*.txt",
                    vocabulary="vocab.txt", preset="elmo_small_en",
                    steps=10_000)
    train_language_model("runs/en", config)
    ```
    """
    if not isinstance(config, TrainingConfig):
        raise TypeError(
            "`config` must be a `TrainingConfig` (see `recipe`). Received: "
            f"config={config!r}"
        )
    # First: MultiWorkerMirroredStrategy must exist before any TF op runs.
    distribution = _setup_distribution(config, strategy)
    options = _resolve_options(config)
    # Fail on bad inputs before writing anything.
    list_files(config.train_files)
    if config.validation_files:
        list_files(config.validation_files)
    tokens = load_vocabulary(config.vocabulary)
    run = _Run(
        output_dir=output_dir,
        config=config,
        tokens=tokens,
        plan=_plan_run(config, len(tokens), distribution.replicas),
        distribution=distribution,
    )
    if config.validation_files:
        # Before the run's files are written: a held-out text smaller than
        # one batch is a failed start, not a different run.
        run.validation = _validation_data(
            config.validation_files,
            tokens,
            run.plan.global_batch,
            config.unroll_steps,
            config.validation_steps,
            distribution.num_workers,
        )
    changed_settings = _start_or_resume_run(run, options, optimizer)
    _build_model(run, optimizer, options)
    _restore_checkpoint(run)
    if run.latest and verbose:
        _print_resume(run.latest, run.step, changed_settings)
    history = _fit(run, callbacks, verbose)
    export_dir = _export(run)
    return {
        "step": run.step,
        "history": history,
        "export_dir": export_dir,
        "model": run.model,
    }


class _RunPlan(NamedTuple):
    """The numbers a run derives from its config and the replicas."""

    global_batch: int  # sequences per step, over all replicas
    tokens_per_step: int
    steps: int
    checkpoint_every: int  # steps per period (one `fit` epoch)
    periods: int
    num_negative_samples: int  # the vocabulary size for a full softmax


def _plan_run(config, vocab_size, replicas):
    """Steps, periods and batch shape; checked before anything is written."""
    global_batch = config.batch_size * replicas
    tokens_per_step = global_batch * config.unroll_steps
    steps = config.steps
    if steps is None:
        steps = max(
            1,
            math.ceil(
                config.epochs
                * count_tokens(config.train_files)
                / tokens_per_step
            ),
        )
    checkpoint_every = max(1, min(config.checkpoint_every, steps))
    if checkpoint_every % config.steps_per_execution:
        raise ValueError(
            "`checkpoint_every` must be a multiple of `steps_per_execution`. "
            f"Received: checkpoint_every={checkpoint_every}, "
            f"steps_per_execution={config.steps_per_execution}"
        )
    full_softmax = config.uses_full_softmax(vocab_size)
    return _RunPlan(
        global_batch=global_batch,
        tokens_per_step=tokens_per_step,
        steps=steps,
        checkpoint_every=checkpoint_every,
        periods=math.ceil(steps / checkpoint_every),
        num_negative_samples=(
            vocab_size if full_softmax else config.num_negative_samples
        ),
    )


def _start_or_resume_run(run, options, optimizer):
    """Phase 2, resume: check a started run's record, or write a new one.

    Returns the recipe settings changed since the run started.
    """
    record = run_record(run.config, options, run.tokens)
    if optimizer is not None:
        record["optimizer"] = type(optimizer).__name__.lower()
    os.makedirs(run.output_dir, exist_ok=True)
    config_path = os.path.join(run.output_dir, CONFIG_FILE)
    if os.path.exists(config_path):
        return check_resume(config_path, record)
    if run.distribution.chief:
        save_vocabulary(
            run.tokens, os.path.join(run.output_dir, VOCABULARY_FILE)
        )
        _write_json(config_path, record)  # last: marks a started run
    return []


def _build_model(run, optimizer, options):
    """Phase 3, build: the compiled `ELMoLanguageModel`."""
    config, plan = run.config, run.plan
    if optimizer is None:
        optimizer = make_optimizer(config, plan.steps)
    strategy = run.distribution.strategy
    distributed = run.distribution.keras_distribution is not None or (
        strategy is not None and strategy is not _default_tf_strategy()
    )
    # The initial weights follow the config's seed: the same command
    # builds the same model (and the dropout and sampler seeds follow).
    keras.utils.set_random_seed(config.seed)
    with run.distribution.scope():
        if distributed:
            # An optimizer made outside the scope has plain variables: each
            # replica would add its step to `iterations` (tf.distribute),
            # or they would sit on one device (keras.distribution). Use a
            # copy made here, from its config.
            optimizer = keras.optimizers.deserialize(
                keras.optimizers.serialize(optimizer)
            )
        elmo = ELMo(
            **options_to_config(options),
            dropout=config.dropout,
            dtype=config.mixed_precision,
            name="elmo",
        )
        model = ELMoLanguageModel(
            elmo,
            len(run.tokens),
            num_negative_samples=plan.num_negative_samples,
            dropout=config.dropout,
            seed=config.seed,
            sampler_dtype=run.distribution.sampler_dtype,
            dtype=config.mixed_precision,
        )
        model.compile(
            optimizer=optimizer,
            # PyTorch: eager (see `default_jit_compile`: torch.compile of
            # the LSTM loop takes longer than any test run).
            jit_compile=config.jit_compile and default_jit_compile(),
            steps_per_execution=config.steps_per_execution,
        )
        model.optimizer.build(model.trainable_variables)
        if strategy is not None:
            run.checkpoint = training_checkpoint(model)
    run.model = model


def _default_tf_strategy():
    import tensorflow as tf

    return tf.distribute.get_strategy()


def _wrong_format(path, backend):
    return ValueError(
        f"{path} was written by the {backend} backend of Keras: resume this "
        f"run with KERAS_BACKEND={backend}, or start a new output directory."
    )


def _restore_checkpoint(run):
    """Phase 4, restore: the latest checkpoint, or `init_from`'s weights.

    Sets the run's checkpoint manager, the checkpoint restored (`None` for
    a new run), its step and data position.
    """
    kind, latest = latest_run_checkpoint(run.checkpoint_dir)
    if run.distribution.strategy is not None:
        if kind == "variables":
            raise _wrong_format(latest, "jax or torch")
        run.manager = _tensorflow_manager(run, latest)
        if latest:
            restore_training_checkpoint(run.model, latest)
    else:
        if kind == "tensorflow":
            raise _wrong_format(latest, "tensorflow")
        if latest:
            run.data_position = restore_checkpoint(run.model, latest)
    if latest is None and run.config.init_from is not None:
        load_bilm_weights(run.model.elmo, run.config.init_from[1])
        _load_softmax_if_present(run.model, run.config.init_from[1])
    run.latest = latest
    run.step = int(keras.ops.convert_to_numpy(run.model.optimizer.iterations))


def _tensorflow_manager(run, latest):
    import tensorflow as tf

    # Every worker restores the chief's checkpoint (`output_dir` must be
    # shared by the workers) and must save too (the save is collective);
    # the other workers save to a scratch directory.
    checkpoint_dir = run.checkpoint_dir
    if not run.distribution.chief:
        task = run.distribution.strategy.cluster_resolver.task_id
        checkpoint_dir = os.path.join(run.output_dir, ".workers", str(task))
    return tf.train.CheckpointManager(
        run.checkpoint,
        checkpoint_dir,
        max_to_keep=run.config.keep_checkpoints,
    )


def _print_resume(latest, step, changed_settings):
    print(f"Resuming from {latest} at step {step}.", flush=True)
    if changed_settings:
        print(
            "Changed since the run started: "
            + ", ".join(changed_settings)
            + ".",
            flush=True,
        )


def _tensorflow_train_data(run, initial_period):
    import tensorflow as tf

    config = run.config
    train_data = make_lm_dataset(
        config.train_files,
        run.tokens,
        batch_size=run.plan.global_batch,
        unroll_steps=config.unroll_steps,
        seed=config.seed + initial_period,
        repeat=True,
    )
    if len(list_files(config.train_files)) < run.distribution.num_workers:
        # Too few files to give each worker its own: every worker
        # reads all and keeps every num_workers-th batch.
        train_data = _with_shard_policy(
            train_data, tf.data.experimental.AutoShardPolicy.DATA
        )
    return train_data


def _train_data(run):
    """The NumPy pipeline, at the checkpoint's data position if resuming."""
    config = run.config
    train_data = make_lm_pydataset(
        config.train_files,
        run.tokens,
        batch_size=run.plan.global_batch,
        unroll_steps=config.unroll_steps,
        seed=config.seed,
        repeat=True,
    )
    if run.data_position is not None:
        train_data.restore(run.data_position)
    elif run.step:
        raise ValueError(
            f"{run.latest} holds no data position: it cannot resume the "
            "data stream exactly. Start a new output directory."
        )
    run.manager = CheckpointFiles(
        run.model,
        run.checkpoint_dir,
        keep=run.config.keep_checkpoints,
        data=train_data,
        start_step=run.step,
    )
    return train_data


class _TorchStepSeed(keras.callbacks.Callback):
    """Seeds PyTorch's global generator from the step, before each step.

    Keras's PyTorch dropout without a seed (the biLM's) draws from torch's
    global generator, which other code draws from too (a `DataLoader`
    iterator takes a seed from it): seeded by the step, the masks of step
    `n` are the same in a resumed run as in an uninterrupted one.
    """

    def __init__(self, seed):
        super().__init__()
        self.seed = int(seed)

    def on_train_batch_begin(self, batch, logs=None):
        import torch

        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        torch.manual_seed(self.seed * 1_000_003 + step)


def _fit(run, callbacks, verbose):
    """Phase 5, fit: the remaining periods. Returns the history or None."""
    plan = run.plan
    initial_period = run.step // plan.checkpoint_every
    if initial_period >= plan.periods:
        return None  # the run was complete
    if run.distribution.strategy is not None:
        train_data = _tensorflow_train_data(run, initial_period)
    else:
        train_data = _train_data(run)
    callbacks = [*callbacks, CheckpointSaver(run.manager)]
    if keras.config.backend() == "torch":
        callbacks.insert(0, _TorchStepSeed(run.config.seed))
    if run.distribution.chief:
        callbacks.insert(
            0,
            TrainingLogger(
                os.path.join(run.output_dir, "logs"),
                plan.tokens_per_step,
                log_every=run.config.log_every,
                profile_steps=run.config.profile_steps,
            ),
        )
    validation_data, validation_steps = run.validation or (None, None)
    with run.distribution.scope():
        history = run.model.fit(
            train_data,
            epochs=plan.periods,
            initial_epoch=initial_period,
            steps_per_epoch=plan.checkpoint_every,
            validation_data=validation_data,
            validation_steps=validation_steps,
            callbacks=callbacks,
            verbose=verbose,
        ).history
    run.step = int(keras.ops.convert_to_numpy(run.model.optimizer.iterations))
    return history


def _export(run):
    """Phase 6, export: the run's preset in `output_dir/export`.

    Its metadata names the training and held-out files (absolute glob
    patterns), so that `keras-elmo perplexity` finds the n-gram baselines'
    training text.
    """
    export_dir = os.path.join(run.output_dir, "export")
    if run.distribution.chief:
        run.model.save_to_preset(
            export_dir,
            vocabulary=run.tokens,
            metadata=export_metadata(run.config),
        )
    return export_dir


def export_metadata(config):
    """The `metadata.json` entries of a run's export: its text files.

    Example:

    >>> export_metadata(config)["training"]["train_files"]
    ['/data/corpus/train/*.txt']
    """

    def patterns(files):
        files = [files] if isinstance(files, (str, os.PathLike)) else files
        return [os.path.abspath(os.fspath(f)) for f in files or ()]

    return {
        "training": {
            "train_files": patterns(config.train_files),
            "validation_files": patterns(config.validation_files),
        }
    }


def _load_softmax_if_present(model, weight_file):
    if has_softmax(weight_file):
        load_softmax_weights(model.softmax, weight_file)
