"""A prepared accelerator check: parity, speed and memory in one command.

Runs on whatever backend (`KERAS_BACKEND`: jax, torch or tensorflow) and
device Keras sees, and prints JSON lines, one per result (the `"check"`
field names its kind):

- `device`: the backend, the device (platform, name, count) and the
  versions of Python, Keras, keras_elmo, NumPy, h5py and the backend.
- `parity`: the shipped model `elmo_tiny_en` on fixed sentences against
  the CPU outputs stored in `benchmarks/accelerator_reference.npz`
  (`benchmarks/accelerator_reference.py` makes them), in float32 and
  bfloat16: the largest absolute error and pass/fail at `TOLERANCES`.
- `matmul`: the dense matmul rate of `keras.ops.matmul` in float32 and
  bfloat16, the baseline of every MFU.
- `embedding`: tokens/s and MFU of the compiled forward
  (`ELMo.predict_on_batch`, as `ELMoEmbedder` runs it: `jax.jit` on JAX,
  XLA on TensorFlow, eager PyTorch) of the shipped model and of an
  original-size model with random weights (`elmo_original_en`,
  `load_weights=False`), at batches 32, 128 and 512, in float32 and
  bfloat16 (`mixed_bfloat16`).
- `pretraining`: tokens/s and MFU of `ELMoLanguageModel.train_on_batch`
  (the sampled softmax, Adagrad) on synthetic batches of English windows,
  original size, batch 128 x 20 tokens, in float32 and bfloat16.
- `memory`: the peak memory: the device's (`peak_bytes_in_use` on JAX,
  `max_memory_allocated` on PyTorch, the allocator's peak on TensorFlow)
  or, on a CPU, this process's peak resident memory, labelled as such.
- `section` (the seconds of each section, compiles included) and
  `summary` (all sections, whether parity passed).

Every measurement is bounded by time, not only by a number of steps: the
whole run keeps to `--budget` seconds (270 by default, within 5 minutes on
one data-centre GPU, compiles included). Each section has its share; a
configuration whose estimated time no longer fits is reported as skipped
(with its estimate) rather than run. Warm-up calls (compiles) are timed
apart and left out of the rates.

Only `keras`, `numpy`, `h5py`, the backend itself and keras_elmo are
imported (no TensorFlow, no tqdm): the check runs on a stock JAX or
PyTorch GPU image with Keras and this package added (docs/performance.md).
The exit status is 1 if a parity check fails or a section raised.

Usage (from the repository root):

    KERAS_BACKEND=jax python benchmarks/accelerator_check.py
    KERAS_BACKEND=torch python benchmarks/accelerator_check.py --output r.jsonl
    python benchmarks/accelerator_check.py --smoke   # tiny sizes, seconds
"""

import argparse
import datetime
import gc
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# keras_elmo before Keras: without TensorFlow installed, this order works
# with every version of the package.
import keras_elmo  # noqa: E402, F401  isort: skip
import keras  # noqa: E402

from benchmarks.accelerator_reference import OUTPUTS  # noqa: E402
from benchmarks.accelerator_reference import PRESET  # noqa: E402
from benchmarks.accelerator_reference import model_outputs  # noqa: E402
from benchmarks.accelerator_reference import read_reference  # noqa: E402
from benchmarks.common import corpus_sentences  # noqa: E402
from benchmarks.common import forward_flops_per_token  # noqa: E402
from benchmarks.common import peak_rss_mb  # noqa: E402
from benchmarks.common import sampled_softmax_flops_per_token  # noqa: E402
from benchmarks.training import make_vocabulary  # noqa: E402

DTYPES = ("float32", "bfloat16")
POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
# Parity passes when the largest absolute error is at most this fraction
# of the largest absolute reference output (12.8 for elmo_tiny_en). On a
# CPU, float32 agrees to 3e-6 and bfloat16 (`mixed_bfloat16`) differs by
# 0.053 (4.2e-3 of the largest). float32 on an accelerator may run its
# matmuls in TF32 (10-bit mantissa: GPUs, by default on JAX and
# TensorFlow) or in one bfloat16 pass (TPUs, by default): 4e-3 admits
# both. bfloat16 gets 3x its CPU error. Faults in the model are outside
# both (0.051 and 0.154): the forward with forget bias 0 instead of 1
# differs by 0.26, without the cell clip by 1.6; a projection kernel
# scaled by 1.01 differs by 0.128, which the float32 bound catches.
TOLERANCES = {"float32": 4e-3, "bfloat16": 1.2e-2}
# Words per embedded sentence (plus <S> and </S>: 22 positions).
SENTENCE_WORDS = 20
# The pretraining batch is halved until this many steps fit in half the
# time left, at this MFU (benchmarks/training.py measures 0.55 on CPUs),
# but never below this batch.
STEPS_IN_BUDGET = 3
ASSUMED_TRAINING_MFU = 0.3
MIN_PRETRAINING_BATCH = 8


class Settings:
    """The sizes of a full run (accelerators) or of `--smoke` (CPU, CI)."""

    def __init__(self, smoke, platform_name):
        on_cpu = platform_name == "cpu"
        self.smoke = smoke
        # Share of the time budget of each section after parity and the
        # matmuls (the rest, 5%, is a reserve for the last lines).
        self.embedding_share = 0.5
        self.pretraining_share = 0.45
        # Products per timed matmul run: several amortise the device sync.
        self.matmul_chain = 1 if on_cpu else 4
        if smoke:
            self.matmul_size = 128
            self.measure_s = 0.05
            self.embedding_batches = (2, 4)
            self.sentence_words = 4
            self.pretraining_batch = 4
            self.unroll_steps = 5
            self.vocab_size = 64
            self.num_negative_samples = 16
        else:
            # A CPU gets a matmul it finishes in about a second.
            self.matmul_size = 2048 if on_cpu else 8192
            self.measure_s = 2.0
            self.embedding_batches = (32, 128, 512)
            self.sentence_words = SENTENCE_WORDS
            self.pretraining_batch = 128
            self.unroll_steps = 20
            # bilm-tf's vocabulary on accelerators; on a CPU the training
            # benchmark's 100,000 (the dense softmax gradient of 793,471 x
            # 512 would take gigabytes of host memory a step).
            self.vocab_size = 100_000 if on_cpu else 793_471
            self.num_negative_samples = 8192
        self.min_runs = 2
        self.max_runs = 50


# === Device ===


def backend_name():
    return keras.config.backend()


def device_info():
    """Platform, name and count of the devices the backend computes on."""
    backend = backend_name()
    platform_name, name, count = "cpu", _cpu_name(), 1
    if backend == "jax":
        import jax

        devices = jax.devices()
        platform_name = devices[0].platform
        count = len(devices)
        if platform_name != "cpu":
            name = devices[0].device_kind
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            platform_name = "gpu"
            name = torch.cuda.get_device_name(0)
            count = torch.cuda.device_count()
    else:
        import tensorflow as tf

        for kind in ("TPU", "GPU"):
            devices = tf.config.list_logical_devices(kind)
            if devices:
                platform_name, count = kind.lower(), len(devices)
                if kind == "GPU":
                    physical = tf.config.list_physical_devices("GPU")[0]
                    details = tf.config.experimental.get_device_details(
                        physical
                    )
                    name = details.get("device_name", devices[0].name)
                else:
                    name = devices[0].name
                break
    return {
        "platform": platform_name,
        "name": name,
        "count": count,
        "host_cores": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
    }


def _cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def versions():
    """Versions of Python, Keras, keras_elmo, NumPy, h5py and the backend."""
    import h5py

    found = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "keras_elmo": keras_elmo.__version__,
        "numpy": np.__version__,
        "h5py": h5py.__version__,
    }
    backend = backend_name()
    if backend == "jax":
        import jax
        import jaxlib

        found.update(jax=jax.__version__, jaxlib=jaxlib.__version__)
    elif backend == "torch":
        import torch

        found.update(torch=torch.__version__, cuda=torch.version.cuda)
    else:
        import tensorflow as tf

        found["tensorflow"] = tf.__version__
    return found


def float32_matmul_precision():
    """How the backend runs float32 matmuls (TF32 or not), as it reports."""
    backend = backend_name()
    if backend == "jax":
        import jax

        precision = jax.config.jax_default_matmul_precision
        return f"jax_default_matmul_precision={precision}"
    if backend == "torch":
        import torch

        return (
            f"float32_matmul_precision="
            f"{torch.get_float32_matmul_precision()}, "
            f"cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}"
        )
    import tensorflow as tf

    enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    return f"tensor_float_32_execution={enabled}"


def synchronize(value):
    """Wait until the device has computed `value`."""
    backend = backend_name()
    if backend == "jax":
        import jax

        jax.block_until_ready(value)
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    else:
        # One element to the host waits for the whole op (TF keeps order).
        first = keras.ops.reshape(value, (-1,))[0]
        keras.ops.convert_to_numpy(keras.ops.cast(first, "float32"))


class Memory:
    """The peak memory: the device's, or on a CPU the process's RSS.

    `reset()` starts a new peak where the backend allows it (PyTorch, and
    TensorFlow on a GPU); JAX's and the RSS peak are since the process
    started. `scope` says which.
    """

    def __init__(self, platform_name):
        self.backend = backend_name()
        self.on_cpu = platform_name == "cpu"
        self.kind = "host peak RSS" if self.on_cpu else "device peak"
        resettable = not self.on_cpu and self.backend in ("torch", "tensorflow")
        self.scope = "measurement" if resettable else "process"

    def reset(self):
        if self.on_cpu or self.scope != "measurement":
            return
        if self.backend == "torch":
            import torch

            torch.cuda.reset_peak_memory_stats()
        else:
            import tensorflow as tf

            tf.config.experimental.reset_memory_stats("GPU:0")

    def peak_bytes(self):
        if self.on_cpu:
            return int(peak_rss_mb() * 2**20)
        if self.backend == "jax":
            import jax

            stats = jax.devices()[0].memory_stats() or {}
            return int(stats.get("peak_bytes_in_use", 0))
        if self.backend == "torch":
            import torch

            return int(torch.cuda.max_memory_allocated())
        import tensorflow as tf

        return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])

    def record(self):
        return {
            "peak_memory_mb": round(self.peak_bytes() / 2**20, 1),
            "peak_memory_kind": self.kind,
            "peak_memory_scope": self.scope,
        }


# === Time budget ===


class Budget:
    """The seconds of the whole run: elapsed and left."""

    def __init__(self, seconds):
        self.start = time.perf_counter()
        self.seconds = seconds

    def elapsed(self):
        return time.perf_counter() - self.start

    def left(self):
        return self.seconds - self.elapsed()


def timed_runs(run, measure_s, min_runs, max_runs, deadline):
    """Time `run()` (which waits for its results) after one warm-up call.

    Runs until `measure_s` seconds of timed runs, at least `min_runs` and
    at most `max_runs`, and stops early (after one run) at `deadline`
    (a `time.perf_counter` value).

    Returns:
        `(warmup_seconds, [seconds of each timed run])`.
    """
    start = time.perf_counter()
    run()
    warmup = time.perf_counter() - start
    seconds = []
    while len(seconds) < max_runs:
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
        if len(seconds) >= min_runs and sum(seconds) >= measure_s:
            break
        if time.perf_counter() >= deadline:
            break
    return warmup, seconds


def estimate_seconds(previous, scale, settings):
    """Estimated time of a configuration `scale` times the `previous` one.

    The compile (warm-up minus one run) is taken as unchanged and the run
    time as proportional to `scale`; timed runs as `timed_runs` makes them.
    """
    run = previous["seconds_median"] * scale
    compile_s = max(previous["warmup_s"] - previous["seconds_median"], 0.0)
    runs = min(
        settings.max_runs,
        max(settings.min_runs, math.ceil(settings.measure_s / max(run, 1e-9))),
    )
    return compile_s + run * (1 + runs)


# === Sections ===


def check_parity(dtype):
    """`elmo_tiny_en` in `dtype` against the stored CPU reference.

    Returns:
        The `parity` record: the largest absolute error over the token
        embeddings and the layers, the tolerance, and whether it passed.
    """
    from keras_elmo.models.elmo import ELMo

    reference = read_reference()
    model = ELMo.from_preset(PRESET, dtype=POLICIES[dtype])
    outputs = model_outputs(model, reference["character_ids"])
    error = max(
        float(np.max(np.abs(outputs[k] - reference[k]))) for k in OUTPUTS
    )
    largest = max(float(np.max(np.abs(reference[k]))) for k in OUTPUTS)
    tolerance = TOLERANCES[dtype] * largest
    mask_equal = bool(np.array_equal(outputs["mask"], reference["mask"]))
    return {
        "check": "parity",
        "preset": PRESET,
        "dtype": dtype,
        "shape": list(reference["layers"].shape),
        "max_abs_error": error,
        "max_abs_reference": largest,
        "relative_error": error / largest,
        "tolerance": tolerance,
        "relative_tolerance": TOLERANCES[dtype],
        "mask_equal": mask_equal,
        "passed": bool(error <= tolerance and mask_equal),
    }


def matmul_rate(dtype, settings, measure_s):
    """FLOP/s of a chain of `[n, n]` products with `keras.ops.matmul`.

    Timed runs after a warm-up: at least 3, then until `measure_s` seconds.
    """
    n = settings.matmul_size
    a = keras.random.normal((n, n), dtype=dtype, seed=1)
    # Scaled so that a chain of products keeps unit magnitude.
    b = keras.ops.cast(
        keras.random.normal((n, n), seed=2) / math.sqrt(n), dtype
    )
    chain = settings.matmul_chain

    def run():
        x = a
        for _ in range(chain):
            x = keras.ops.matmul(x, b)  # (n, n), each depends on the last
        synchronize(x)

    # At least 3 runs whatever the deadline: the size keeps each short.
    warmup, seconds = timed_runs(run, measure_s, 3, settings.max_runs, math.inf)
    rates = [chain * 2 * n**3 / s for s in seconds]
    record = {
        "check": "matmul",
        "dtype": dtype,
        "size": n,
        "products_per_run": chain,
        "runs": len(seconds),
        "tflop_per_s": float(np.median(rates)) / 1e12,
        "best_tflop_per_s": max(rates) / 1e12,
        "warmup_s": warmup,
    }
    if dtype == "float32":
        record["float32_precision"] = float32_matmul_precision()
    return record


def embedding_models(settings):
    """`(label, factory(dtype) -> ELMo)` of the models to embed with."""
    from keras_elmo.models.elmo import ELMo

    if settings.smoke:
        # Tiny random models of the shipped and of the original shape.
        def shipped(policy):
            return ELMo(
                filters=[(1, 4), (2, 8)],
                character_embedding_dim=4,
                num_highway_layers=1,
                lstm_units=16,
                projection_dim=8,
                dtype=policy,
            )

        def original(policy):
            return ELMo(
                filters=[(1, 4), (2, 4), (3, 8)],
                character_embedding_dim=4,
                num_highway_layers=2,
                lstm_units=32,
                projection_dim=8,
                dtype=policy,
            )

        return [("tiny random", shipped), ("small random", original)]
    return [
        (PRESET, lambda policy: ELMo.from_preset(PRESET, dtype=policy)),
        (
            "elmo_original_en (random weights)",
            lambda policy: ELMo.from_preset(
                "elmo_original_en", load_weights=False, dtype=policy
            ),
        ),
    ]


def embedding_inputs(settings, batch_size):
    """Character ids of `batch_size` English sentences of equal length."""
    from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids

    words = settings.sentence_words
    sentences = [s[:words] for s in corpus_sentences(words)]
    rows = [sentences[i % len(sentences)] for i in range(batch_size)]
    return batch_to_char_ids(rows)  # (batch, words + 2, 50)


def run_embedding(settings, section_seconds, matmul, memory, emit):
    """Embedding tokens/s of each model, dtype and batch size."""
    models = embedding_models(settings)
    groups = [(label, f, d) for label, f in models for d in DTYPES]
    section_end = time.perf_counter() + section_seconds
    for index, (label, factory, dtype) in enumerate(groups):
        # An equal share of what is left: a fast group passes time on.
        group_end = time.perf_counter() + (
            (section_end - time.perf_counter()) / (len(groups) - index)
        )
        model = factory(POLICIES[dtype])
        flops = forward_flops_per_token(model.options)["total"]
        previous = None
        for batch_size in settings.embedding_batches:
            record = {
                "check": "embedding",
                "model": label,
                "parameters": model.count_params(),
                "dtype": dtype,
                "dtype_policy": POLICIES[dtype],
                "batch_size": batch_size,
                "positions": settings.sentence_words + 2,
            }
            if previous is not None:
                estimate = estimate_seconds(
                    previous, batch_size / previous["batch_size"], settings
                )
                if estimate > group_end - time.perf_counter():
                    emit({**record, "skipped": "time budget", **_est(estimate)})
                    continue
            ids = embedding_inputs(settings, batch_size)
            memory.reset()
            warmup, seconds = timed_runs(
                lambda model=model, ids=ids: model.predict_on_batch(ids),
                settings.measure_s,
                settings.min_runs,
                settings.max_runs,
                group_end,
            )
            median = float(np.median(seconds))
            words = batch_size * settings.sentence_words
            rate = matmul[dtype]["best_tflop_per_s"] * 1e12
            previous = {
                "batch_size": batch_size,
                "warmup_s": warmup,
                "seconds_median": median,
            }
            emit(
                {
                    **record,
                    "warmup_s": warmup,
                    "runs": len(seconds),
                    "seconds_median": median,
                    "tokens_per_s": words / median,
                    "forward_gflop_per_token": flops / 1e9,
                    "mfu": ids.shape[0] * ids.shape[1] * flops / median / rate,
                    "matmul_tflop_per_s": rate / 1e12,
                    **memory.record(),
                }
            )
        del model
        _release()


def _est(seconds):
    return {"estimated_s": round(seconds, 1)}


def _release():
    keras.backend.clear_session()
    gc.collect()


def lm_batches(settings, vocabulary, batch_size, count):
    """`count` synthetic pretraining batches of English windows, as NumPy.

    The stream of corpus sentences, each between `<S>` and `</S>`, cut
    into windows of `unroll_steps` tokens, one window a row; targets are
    the next and the previous token's id, `-1` after `</S>` and before
    `<S>`, as `keras_elmo.training.make_lm_dataset` makes them.

    Returns:
        A list of `(x, y)`: `x = {"character_ids": [batch, steps, 50]}`,
        `y = {"next_token_ids", "previous_token_ids"}` (`[batch, steps]`).
    """
    from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids

    index = {word: i for i, word in enumerate(vocabulary)}
    stream = []
    for sentence in corpus_sentences():
        stream += ["<S>", *sentence, "</S>"]
    steps = settings.unroll_steps
    # Row r of a batch holds tokens 1 + r * steps ... of its slice; one
    # token either side gives the first previous and the last next target.
    positions = 1 + np.arange(batch_size)[:, None] * steps + np.arange(steps)
    need = batch_size * steps + 2
    result = []
    for i in range(count):
        start = (i * need) % max(len(stream) - need, 1)
        tokens = np.array(stream[start : start + need], dtype=object)
        ids = np.array([index.get(t, index["<UNK>"]) for t in tokens])
        x = {"character_ids": batch_to_char_ids(tokens[positions], False)}
        y = {
            "next_token_ids": np.where(
                tokens[positions] == "</S>", -1, ids[positions + 1]
            ).astype("int32"),
            "previous_token_ids": np.where(
                tokens[positions] == "<S>", -1, ids[positions - 1]
            ).astype("int32"),
        }
        result.append((x, y))
    return result


def pretraining_elmo(settings, policy):
    from keras_elmo.models.elmo import ELMo

    if settings.smoke:
        return ELMo(
            filters=[(1, 4), (2, 8)],
            character_embedding_dim=4,
            num_highway_layers=2,
            lstm_units=16,
            projection_dim=8,
            dropout=0.1,
            dtype=policy,
        )
    return ELMo.from_preset(
        "elmo_original_en", load_weights=False, dropout=0.1, dtype=policy
    )


def pretraining_batch_size(settings, flops_per_row, rate, seconds):
    """The pretraining batch: `settings.pretraining_batch`, halved (down to
    `MIN_PRETRAINING_BATCH`) until `STEPS_IN_BUDGET` steps at an MFU of
    `ASSUMED_TRAINING_MFU` take at most half of `seconds` (the other half
    is left to the compile).

    On a data-centre GPU the full batch takes milliseconds a step; on a
    CPU, a step of the original size at batch 128 takes minutes.
    """
    batch_size = settings.pretraining_batch
    while batch_size > MIN_PRETRAINING_BATCH:
        step = batch_size * flops_per_row / (rate * ASSUMED_TRAINING_MFU)
        if STEPS_IN_BUDGET * step <= seconds / 2:
            break
        batch_size = max(batch_size // 2, MIN_PRETRAINING_BATCH)
    return batch_size


def run_pretraining(
    settings, section_seconds, matmul, memory, platform_name, emit
):
    """Pretraining tokens/s and MFU, float32 and bfloat16."""
    from keras_elmo.models.elmo_language_model import ELMoLanguageModel

    vocabulary = make_vocabulary(corpus_sentences(), settings.vocab_size)
    section_end = time.perf_counter() + section_seconds
    for index, dtype in enumerate(DTYPES):
        group_end = time.perf_counter() + (
            (section_end - time.perf_counter()) / (len(DTYPES) - index)
        )
        policy = POLICIES[dtype]
        keras.utils.set_random_seed(0)
        elmo = pretraining_elmo(settings, policy)
        model = ELMoLanguageModel(
            elmo,
            vocab_size=len(vocabulary),
            num_negative_samples=settings.num_negative_samples,
            seed=0,
            # TPUs have no float64 for the sampler's uniforms.
            sampler_dtype="float32" if platform_name == "tpu" else "float64",
            dtype=policy,
        )
        model.compile()
        forward = forward_flops_per_token(elmo.options)["total"]
        softmax = 2 * sampled_softmax_flops_per_token(
            elmo.bilm.output_dim, model.num_negative_samples
        )
        rate = matmul[dtype]["best_tflop_per_s"] * 1e12
        # Forward, and a backward pass of twice the forward.
        flops_per_row = 3 * settings.unroll_steps * (forward + softmax)
        batch_size = pretraining_batch_size(
            settings, flops_per_row, rate, group_end - time.perf_counter()
        )
        tokens = batch_size * settings.unroll_steps
        step_flops = batch_size * flops_per_row
        batches = lm_batches(settings, vocabulary, batch_size, 4)
        losses = []

        def run(model=model, batches=batches, losses=losses):
            x, y = batches[len(losses) % len(batches)]
            logs = model.train_on_batch(x, y, return_dict=True)
            losses.append(float(logs["loss"]))  # waits for the step

        memory.reset()
        warmup, seconds = timed_runs(
            run,
            settings.measure_s,
            settings.min_runs,
            settings.max_runs,
            group_end,
        )
        median = float(np.median(seconds))
        emit(
            {
                "check": "pretraining",
                "model": "tiny random"
                if settings.smoke
                else "elmo_original_en (random weights)",
                "parameters": model.count_params(),
                "dtype": dtype,
                "dtype_policy": policy,
                "batch_size": batch_size,
                "batch_size_asked": settings.pretraining_batch,
                "unroll_steps": settings.unroll_steps,
                "vocab_size": len(vocabulary),
                "num_negative_samples": model.num_negative_samples,
                "step_tflop": step_flops / 1e12,
                "warmup_s": warmup,
                "steps": len(seconds),
                "seconds_median": median,
                "tokens_per_s": tokens / median,
                "model_tflop_per_s": step_flops / median / 1e12,
                "matmul_tflop_per_s": rate / 1e12,
                "mfu": step_flops / median / rate,
                "first_loss": losses[0],
                "last_loss": losses[-1],
                "losses_finite": bool(np.all(np.isfinite(losses))),
                **memory.record(),
            }
        )
        del model, elmo
        _release()


# === Command ===


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="Tiny random models and batches: a CPU run of seconds (CI).",
    )
    parser.add_argument(
        "--output",
        help="Also write the JSON lines to this file (atomically, at the end).",
    )
    parser.add_argument(
        "--table",
        metavar="JSONL",
        help="Print the rows of docs/performance.md's results table for the "
        "JSON lines of a run (a file that --output wrote), and exit.",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="Seconds for the whole run (default: 270; 60 with --smoke).",
    )
    args = parser.parse_args(argv)
    if args.table and not Path(args.table).is_file():
        parser.error(f"--table: no such file: {args.table}")
    if args.output:
        output = Path(args.output)
        if output.is_dir():
            parser.error(f"--output is a directory: {output}")
        if not output.parent.is_dir():
            parser.error(f"--output's directory does not exist: {output}")
    if args.budget is None:
        args.budget = 60.0 if args.smoke else 270.0
    if args.budget <= 0:
        parser.error(f"--budget must be positive. Received: {args.budget}")
    return args


def table_rows(records):
    """Markdown rows of the results table (docs/performance.md) of a run.

    One row per embedding and pretraining line: the device and date, the
    backend, what ran, the model, the dtype, the batch, tokens/s, MFU, the
    matmul rate it is measured against, and the peak memory.

    Args:
        records: the run's JSON lines, as dicts.

    Returns:
        A list of str, one table row each.
    """
    device = next(r for r in records if r["check"] == "device")
    where = device["name"]
    if device["platform"] == "cpu":
        where += f", {device['host_cores']} cores"
    elif device["count"] > 1:
        where += f" (of {device['count']})"
    where += f", {device['date'][:10]}"
    rows = []
    for r in records:
        if r["check"] not in ("embedding", "pretraining") or "error" in r:
            continue
        what = r["check"] + (" (smoke)" if device["mode"] == "smoke" else "")
        batch = str(r["batch_size"])
        if r["check"] == "pretraining":
            batch += f" x {r['unroll_steps']}"
            if r.get("batch_size_asked", r["batch_size"]) != r["batch_size"]:
                batch += f" (asked {r['batch_size_asked']})"
        if "skipped" in r:
            speed, mfu, matmul, peak = (
                f"skipped ({r['skipped']}, est. {r['estimated_s']:.0f} s)",
                "",
                "",
                "",
            )
        else:
            speed = f"{r['tokens_per_s']:,.0f}"
            mfu = f"{r['mfu']:.3g}"
            matmul = f"{r['matmul_tflop_per_s']:.3g}"
            kind = r["peak_memory_kind"].replace(" peak", "")
            peak = f"{r['peak_memory_mb']:,.0f} MiB ({kind})"
        cells = [where, device["backend"], what, r["model"], r["dtype"]]
        cells += [batch, speed, mfu, matmul, peak]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def main(argv=None):
    args = parse_args(argv)
    if args.table:
        with open(args.table, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        print("\n".join(table_rows(records)))
        return 0
    budget = Budget(args.budget)
    records = []
    errors = []

    def emit(record):
        record = {**record, "elapsed_s": round(budget.elapsed(), 2)}
        records.append(record)
        print(json.dumps(record, sort_keys=True), flush=True)

    sections = {}

    def section(name, body):
        start = time.perf_counter()
        try:
            body()
        except Exception as error:  # reported; the other sections still run
            errors.append(name)
            emit({"check": name, "error": f"{type(error).__name__}: {error}"})
        sections[name] = round(time.perf_counter() - start, 2)
        emit({"check": "section", "section": name, "seconds": sections[name]})

    keras.config.set_dtype_policy("float32")
    device = device_info()
    settings = Settings(args.smoke, device["platform"])
    memory = Memory(device["platform"])
    emit(
        {
            "check": "device",
            "backend": backend_name(),
            **device,
            "versions": versions(),
            "mode": "smoke" if args.smoke else "full",
            "budget_s": args.budget,
        }
    )

    parity = []

    def parity_section():
        for dtype in DTYPES:
            record = check_parity(dtype)
            parity.append(record["passed"])
            emit(record)
        _release()

    section("parity", parity_section)

    matmul = {}

    def matmul_section():
        # Each dtype measures for up to 2.5% of the budget left.
        measure_s = min(settings.measure_s, 0.025 * budget.left())
        for dtype in DTYPES:
            matmul[dtype] = matmul_rate(dtype, settings, measure_s)
            emit(matmul[dtype])

    section("matmul", matmul_section)
    if len(matmul) == len(DTYPES):
        # What is left, shared out: embedding first, then pretraining.
        left = budget.left()
        section(
            "embedding",
            lambda: run_embedding(
                settings,
                settings.embedding_share * left,
                matmul,
                memory,
                emit,
            ),
        )
        section(
            "pretraining",
            lambda: run_pretraining(
                settings,
                max(budget.left() - 0.05 * left, 0.0),
                matmul,
                memory,
                device["platform"],
                emit,
            ),
        )
    emit({"check": "memory", **memory.record()})
    passed = len(parity) == len(DTYPES) and all(parity)
    emit(
        {
            "check": "summary",
            "sections_s": sections,
            "total_s": round(budget.elapsed(), 2),
            "budget_s": args.budget,
            "parity_passed": passed,
            "errors": errors,
        }
    )
    if args.output:
        from keras_elmo.utils.atomic import atomic_path

        with atomic_path(args.output) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                for record in records:
                    f.write(json.dumps(record, sort_keys=True) + "\n")
    return 0 if passed and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
