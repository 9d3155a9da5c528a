"""Callbacks of biLM pretraining: TensorBoard logging and checkpoints."""

import time

import keras

from keras_elmo.training.scalar_writer import scalar_writer
from keras_elmo.utils.backend import require_tensorflow_backend

TRAIN_SCALARS = (
    "loss",
    "perplexity",
    "forward_perplexity",
    "backward_perplexity",
    "gradient_norm",
)


def check_profiling():
    """Raise in one line unless profiling can run (the TensorFlow backend).

    Example:

    >>> check_profiling()  # under KERAS_BACKEND=jax: UnsupportedBackendError
    """
    require_tensorflow_backend(
        "Profiling training steps (`profile_steps`, --profile-steps; the "
        "TensorFlow profiler)",
        "leave profiling out",
    )


def _profiler():
    import tensorflow as tf

    return tf.profiler.experimental


def _learning_rate(optimizer):
    rate = optimizer.learning_rate
    return float(keras.ops.convert_to_numpy(rate))


class TrainingLogger(keras.callbacks.Callback):
    """Writes pretraining scalars to TensorBoard against the global step.

    Unlike `keras.callbacks.TensorBoard`, the step is the optimizer's
    iteration count, so a resumed run continues its curves instead of
    starting them over. Train scalars (running means since the last
    checkpoint): loss, average/forward/backward perplexity, gradient norm,
    learning rate and tokens per second. Validation scalars go to the
    `validation` writer after each checkpoint period. Optionally profiles a
    range of steps (TensorBoard's Profile tab; TensorFlow backend only).
    Scalars are written by `scalar_writer`: `tf.summary` on TensorFlow,
    the `tensorboard` package's writer on JAX and PyTorch.

    Args:
        log_dir: str. TensorBoard log directory (`train/` and
            `validation/` are made inside).
        tokens_per_batch: int. Input tokens per step (batch x window).
        log_every: int. Write train scalars every this many steps.
        profile_steps: `(first, last)` global steps to profile, or `None`.

    Example:

    ```python
    lm.fit(data, callbacks=[TrainingLogger("logs", 128 * 20)])
    ```
    """

    def __init__(
        self, log_dir, tokens_per_batch, log_every=100, profile_steps=None
    ):
        super().__init__()
        self.log_dir = str(log_dir)
        self.tokens_per_batch = int(tokens_per_batch)
        self.log_every = max(1, int(log_every))
        self.profile_steps = profile_steps
        if profile_steps:
            check_profiling()
        self._profiling = False
        self._train_writer = scalar_writer(f"{self.log_dir}/train")
        self._validation_writer = scalar_writer(f"{self.log_dir}/validation")

    def _step(self):
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_train_begin(self, logs=None):
        self._last_time, self._last_step = time.perf_counter(), self._step()

    def on_train_batch_begin(self, batch, logs=None):
        if self.profile_steps and not self._profiling:
            first, last = self.profile_steps
            if first <= self._step() + 1 <= last:
                _profiler().start(f"{self.log_dir}/train")
                self._profiling = True

    def on_train_batch_end(self, batch, logs=None):
        step = self._step()
        if self._profiling and step >= self.profile_steps[1]:
            _profiler().stop()
            self._profiling = False
        # Steps advance by `steps_per_execution` between calls: log when a
        # multiple of `log_every` was passed.
        if step // self.log_every == self._last_step // self.log_every:
            return
        if not logs:
            return
        now = time.perf_counter()
        elapsed = max(now - self._last_time, 1e-9)
        throughput = (step - self._last_step) * self.tokens_per_batch / elapsed
        self._last_time, self._last_step = now, step
        logs["tokens_per_second"] = throughput
        scalars = {name: logs[name] for name in TRAIN_SCALARS if name in logs}
        scalars["learning_rate"] = _learning_rate(self.model.optimizer)
        scalars["tokens_per_second"] = throughput
        self._train_writer.scalars(scalars, step)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        step = self._step()
        validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if validation:
            self._validation_writer.scalars(validation, step)

    def on_train_end(self, logs=None):
        if self._profiling:
            _profiler().stop()
            self._profiling = False
        self._train_writer.close()
        self._validation_writer.close()


class CheckpointSaver(keras.callbacks.Callback):
    """Saves a checkpoint manager at the end of each period.

    A `tf.train.CheckpointManager` (TensorFlow backend) writes a
    checkpoint's files first and its `checkpoint` index last (atomically),
    so a crash mid-save leaves the previous checkpoint as the latest; a
    `CheckpointFiles` (JAX, PyTorch) writes each checkpoint directory aside
    and renames it. Both keep the last few.

    Args:
        manager: a `tf.train.CheckpointManager` or a
            `keras_elmo.training.checkpoint_files.CheckpointFiles` over the
            model and optimizer: anything with `save(checkpoint_number=)`.

    Example:

    ```python
    lm.fit(data, callbacks=[CheckpointSaver(manager)])
    ```
    """

    def __init__(self, manager):
        super().__init__()
        self.manager = manager

    def on_epoch_end(self, epoch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        self.manager.save(checkpoint_number=step)
