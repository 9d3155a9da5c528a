"""Inference throughput and model FLOP utilisation of the ELMo forward.

Runs the full forward (character ids -> every biLM layer) of `ELMo` with
random weights of official presets on English sentences of 20-30 tokens,
and prints one JSON line per configuration with tokens/s and the model FLOP
utilisation (MFU): the model's FLOP/s divided by the dense matmul FLOP/s
measured in the same process, between the timed runs.

Usage (from the repository root):

    python benchmarks/inference.py
    python benchmarks/inference.py --presets small --batch-sizes 32 \
        --dtypes float32 --no-jit
    python benchmarks/inference.py --backend jax --dtypes float32
    python benchmarks/inference.py --backend torch --jit on  # torch.compile

`--backend` picks the Keras backend (it sets `KERAS_BACKEND` before Keras
is imported); the model runs the way a user's `predict_on_batch` (or
`--api predict`: `predict`) runs it, compiled by default as `ELMo` is
(`--jit auto`: XLA on TensorFlow, `jax.jit` on JAX, eager PyTorch).

A "run" is one pass over the same `--sentences` sentences in batches of the
batch size; the first pass is the warm-up (it also compiles every batch
shape), the median of `--repeats` timed passes is reported. Tokens are the
words of the sentences; the FLOPs are counted over every real position,
including the `<S>`/`</S>` markers the model reads (padding is not counted:
computing it is waste that bucketing avoids).
"""

import gc
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from benchmarks.common import base_parser
from benchmarks.common import batches
from benchmarks.common import clock
from benchmarks.common import configure_threads
from benchmarks.common import corpus_sentences
from benchmarks.common import emit
from benchmarks.common import forward_flops_per_token
from benchmarks.common import load_average
from benchmarks.common import machine_info
from benchmarks.common import matmul_probe
from benchmarks.common import median

BACKENDS = ("tensorflow", "jax", "torch")


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="Keras backend (default: KERAS_BACKEND, else tensorflow).",
    )
    parser.add_argument(
        "--jit",
        choices=["auto", "on", "off"],
        default="auto",
        help="Compile the forward (XLA / jax.jit / torch.compile); auto is "
        "ELMo's default for the backend.",
    )
    parser.add_argument(
        "--api",
        choices=["predict_on_batch", "predict"],
        default="predict_on_batch",
        help="The Keras call timed for each batch.",
    )
    parser.add_argument(
        "--freeze-gc",
        action="store_true",
        help="gc.freeze() after the model is built: Python's garbage "
        "collector then skips the objects of TensorFlow and the model "
        "(Keras's TensorFlow `predict` allocates enough per call to start "
        "full collections over them).",
    )
    parser.add_argument(
        "--presets", nargs="+", default=["elmo_small_en", "elmo_original_en"]
    )
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 128])
    parser.add_argument(
        "--dtypes",
        nargs="+",
        default=["float32", "bfloat16"],
        choices=["float32", "bfloat16"],
        help="bfloat16 runs the model under the mixed_bfloat16 policy.",
    )
    parser.add_argument(
        "--sentences",
        type=int,
        default=256,
        help="Sentences per timed pass (a multiple of the batch sizes).",
    )
    parser.add_argument(
        "--no-jit",
        action="store_true",
        help="Same as --jit off (on TensorFlow: a graph without XLA).",
    )
    parser.add_argument(
        "--no-bucket",
        action="store_true",
        help="Batch the sentences in corpus order instead of by length.",
    )
    args = parser.parse_args(argv)
    if args.no_jit:
        args.jit = "off"
    return args


def select_backend(backend):
    """Set `KERAS_BACKEND` before Keras is imported; returns the backend."""
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    if "keras" in sys.modules:
        import keras

        if keras.config.backend() != backend:
            raise ValueError(
                f"Keras is already imported with the "
                f"{keras.config.backend()!r} backend; cannot switch to "
                f"--backend={backend}. Run the benchmark in a new process."
            )
    os.environ["KERAS_BACKEND"] = backend
    return backend


def _build_model(preset, dtype, seed, jit):
    import keras

    from keras_elmo.models.elmo import ELMo

    keras.utils.set_random_seed(seed)
    policy = "mixed_bfloat16" if dtype == "bfloat16" else "float32"
    model = ELMo.from_preset(preset, load_weights=False, dtype=policy)
    if jit != "auto":
        model.jit_compile = jit == "on"
    return model


def _bf16_error(model32, model16, char_ids):
    """Largest |bf16 - fp32| of the biLM layers, absolute and relative."""
    import numpy as np

    reference = np.asarray(model32.predict_on_batch(char_ids)["layers"])
    model16.set_weights(model32.get_weights())
    approx = np.asarray(
        model16.predict_on_batch(char_ids)["layers"], dtype=np.float32
    )
    error = float(np.abs(approx - reference).max())
    return error, error / float(np.abs(reference).max())


def model_backend():
    import keras

    return keras.config.backend()


def run_config(args, preset, batch_size, dtype, sentences, reference=None):
    """Time one configuration; returns the JSON record."""
    import numpy as np

    from keras_elmo.conversion.bilm_options import config_to_options
    from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
    from keras_elmo.presets import builtin_preset_config

    model = _build_model(preset, dtype, args.seed, args.jit)
    if args.freeze_gc:
        gc.freeze()
    flops = forward_flops_per_token(
        config_to_options(builtin_preset_config(preset))
    )
    groups = batches(sentences, batch_size, bucket=not args.no_bucket)
    char_ids = [batch_to_char_ids(group) for group in groups]
    words = sum(len(s) for group in groups for s in group)
    positions = words + 2 * sum(len(group) for group in groups)
    computed = sum(ids.shape[0] * ids.shape[1] for ids in char_ids)
    timer = clock(args.clock)
    probes = {"float32": matmul_probe(dtype="float32", timer=timer)}
    if dtype == "bfloat16":
        probes["bfloat16"] = matmul_probe(dtype="bfloat16", timer=timer)

    def one_pass():
        start = timer()
        for ids in char_ids:
            if args.api == "predict":
                outputs = model.predict(ids, batch_size=len(ids), verbose=0)
            else:
                outputs = model.predict_on_batch(ids)
            np.asarray(outputs["layers"])
        return timer() - start

    def measure_matmul():
        return {name: probe() for name, probe in probes.items()}

    start = time.perf_counter()
    one_pass()  # warm-up: traces and compiles each batch shape
    warmup = time.perf_counter() - start
    seconds, rates = [], {name: [] for name in probes}
    utilisation = {name: [] for name in probes}
    before = measure_matmul()
    for _ in range(args.repeats):
        elapsed = one_pass()
        after = measure_matmul()
        seconds.append(elapsed)
        for name in probes:
            # The matmul rate around this run: the mean of the probes
            # just before and just after it.
            rate = 0.5 * (before[name] + after[name])
            rates[name].append(rate)
            utilisation[name].append(
                positions * flops["total"] / elapsed / rate
            )
        before = after
    record = {
        "benchmark": "inference",
        "preset": preset,
        "batch_size": batch_size,
        "dtype": dtype,
        "backend": model_backend(),
        "jit_compile": bool(model.jit_compile),
        "api": args.api,
        "freeze_gc": args.freeze_gc,
        "clock": args.clock,
        "bucketed": not args.no_bucket,
        "batches": len(char_ids),
        "tokens": words,
        "positions": positions,
        "padding_fraction": round(1 - positions / computed, 4),
        "seconds_median": round(median(seconds), 4),
        "tokens_per_s": round(words / median(seconds), 1),
        "model_gflops_per_token": round(flops["total"] / 1e9, 6),
        "model_gflop_per_s": round(
            positions * flops["total"] / median(seconds) / 1e9, 2
        ),
        "matmul_gflop_per_s": round(median(rates["float32"]) / 1e9, 2),
        "mfu": round(median(utilisation["float32"]), 4),
        "mfu_runs": [round(u, 4) for u in utilisation["float32"]],
        "warmup_seconds": round(warmup, 2),
        "load_average": load_average(),
    }
    if dtype == "bfloat16":
        record["bf16_matmul_gflop_per_s"] = round(
            median(rates["bfloat16"]) / 1e9, 2
        )
        record["mfu_vs_bf16_matmul"] = round(median(utilisation["bfloat16"]), 4)
    if dtype == "bfloat16" and reference is not None:
        error, relative = _bf16_error(reference, model, char_ids[0])
        record["bf16_max_abs_error"] = round(error, 6)
        record["bf16_max_rel_error"] = round(relative, 6)
    return record, model


def main(argv=None):
    args = parse_args(argv)
    select_backend(args.backend)
    threads = configure_threads(args.intra_op_threads, args.inter_op_threads)
    emit({"benchmark": "machine", **machine_info(), "threads": threads})
    sentences = corpus_sentences(20, 30)[: args.sentences]
    if len(sentences) < args.sentences:
        raise ValueError(
            f"The corpus has only {len(sentences)} sentences of 20-30 tokens;"
            f" asked for --sentences={args.sentences}."
        )
    for preset in args.presets:
        for batch_size in args.batch_sizes:
            if args.sentences % batch_size:
                raise ValueError(
                    f"--sentences={args.sentences} is not a multiple of the "
                    f"batch size {batch_size}."
                )
            reference = None
            for dtype in args.dtypes:
                record, model = run_config(
                    args, preset, batch_size, dtype, sentences, reference
                )
                record["threads"] = threads
                emit(record)
                if dtype == "float32":
                    reference = model


if __name__ == "__main__":
    main()
