"""Training throughput and model FLOP utilisation of biLM pretraining.

Times the train step of `ELMoLanguageModel` (forward and backward LMs,
shared sampled softmax, Adagrad with gradient clipping, as bilm-tf) on
windows of real English text made by `keras_elmo.training.make_lm_dataset`
(TensorFlow backend) or `make_lm_pydataset` (JAX, PyTorch: no TensorFlow),
and prints one JSON line with tokens/s and the model FLOP utilisation (MFU):
the step's FLOPs per second divided by the dense float32 matmul FLOP/s
measured in the same process, between the timed steps.

A step is counted as 3x its forward FLOPs (forward, and a backward pass of
twice the forward), the forward being the ELMo forward of every token plus
the sampled-softmax logits of both directions (`2 * dim * (samples + 1)`
per token and direction).

Usage (from the repository root):

    python benchmarks/training.py
    python benchmarks/training.py --no-jit --steps 5
    KERAS_BACKEND=jax python benchmarks/training.py
"""

import collections
import os
import tempfile
import time

if __package__ in (None, ""):
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from benchmarks.common import base_parser
from benchmarks.common import clock
from benchmarks.common import configure_threads
from benchmarks.common import corpus_sentences
from benchmarks.common import emit
from benchmarks.common import forward_flops_per_token
from benchmarks.common import load_average
from benchmarks.common import machine_info
from benchmarks.common import matmul_probe
from benchmarks.common import median
from benchmarks.common import sampled_softmax_flops_per_token

SPECIAL_TOKENS = ["<S>", "</S>", "<UNK>"]


def add_step_arguments(parser):
    """The train-step setting shared by the training benchmarks."""
    parser.add_argument("--preset", default="elmo_small_en")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--unroll-steps", type=int, default=20)
    parser.add_argument("--vocab-size", type=int, default=100_000)
    parser.add_argument("--num-negative-samples", type=int, default=8192)
    parser.add_argument(
        "--dropout",
        type=float,
        default=0.1,
        help="Dropout on the LSTM inputs: 0.1 is bilm-tf's (the setting of "
        "the MFU target), 0 the `adam` recipe's.",
    )
    return parser


def parse_args(argv=None):
    parser = add_step_arguments(base_parser(__doc__.splitlines()[0]))
    parser.add_argument(
        "--warmup-steps",
        type=int,
        default=2,
        help="Untimed steps first (tracing, compilation).",
    )
    parser.add_argument(
        "--no-jit",
        action="store_true",
        help="Run the train step as a TensorFlow graph without XLA.",
    )
    parser.add_argument(
        "--dtype", default="float32", choices=["float32", "bfloat16"]
    )
    return parser.parse_args(argv)


def make_vocabulary(sentences, size):
    """Special tokens, corpus words by frequency, then filler words.

    The corpus has fewer distinct words than a pretraining vocabulary; the
    filler words never occur but give the softmax its full size, which is
    what the cost depends on.
    """
    counts = collections.Counter(t for s in sentences for t in s)
    words = [w for w, _ in counts.most_common() if w not in SPECIAL_TOKENS]
    vocabulary = SPECIAL_TOKENS + words[: size - len(SPECIAL_TOKENS)]
    vocabulary += [
        f"<unused_{i}>" for i in range(size - len(vocabulary))
    ]  # filler
    return vocabulary


def training_batches(vocab_size, batch_size, unroll_steps, seed, steps):
    """The vocabulary, `steps` NumPy batches of real English windows, and
    the input pipeline's tokens/s.

    Batches are made before timing, so the figures are the train step's.
    TensorFlow backend: `make_lm_dataset` (tf.data), as before; JAX and
    PyTorch: `make_lm_pydataset` (NumPy, no TensorFlow needed). The
    pipeline's own rate (batches after the first, per second of making
    them) is reported beside the step's.

    Returns:
        `(vocabulary, [(x, y), ...], pipeline_tokens_per_s)` with `x`/`y`
        dicts of NumPy arrays as the pipelines yield them.
    """
    import keras

    sentences = corpus_sentences()
    vocabulary = make_vocabulary(sentences, vocab_size)
    arguments = dict(
        batch_size=batch_size,
        unroll_steps=unroll_steps,
        seed=seed,
        repeat=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "corpus.txt")
        with open(text, "w", encoding="utf-8") as f:
            for sentence in sentences:
                f.write(" ".join(sentence) + "\n")
        if keras.config.backend() == "tensorflow":
            from keras_elmo.training.data import make_lm_dataset

            iterator = make_lm_dataset(text, vocabulary, **arguments)
            batches = (
                (
                    {k: v.numpy() for k, v in x.items()},
                    {k: v.numpy() for k, v in y.items()},
                )
                for x, y in iterator.take(steps)
            )
        else:
            from keras_elmo.training.pydataset import make_lm_pydataset

            dataset = make_lm_pydataset(text, vocabulary, **arguments)
            batches = (dataset[i] for i in range(steps))
        data = [next(batches)]
        start = time.perf_counter()
        data.extend(batches)
        elapsed = time.perf_counter() - start
    rate = (steps - 1) * batch_size * unroll_steps / max(elapsed, 1e-9)
    return vocabulary, data, rate


def main(argv=None):
    args = parse_args(argv)
    threads = configure_threads(args.intra_op_threads, args.inter_op_threads)
    import keras
    import numpy as np

    from keras_elmo.conversion.bilm_options import config_to_options
    from keras_elmo.models.elmo import ELMo
    from keras_elmo.models.elmo_language_model import ELMoLanguageModel
    from keras_elmo.presets import builtin_preset_config
    from keras_elmo.utils.backend import default_jit_compile

    emit({"benchmark": "machine", **machine_info(), "threads": threads})
    steps = args.warmup_steps + args.repeats
    vocabulary, data, pipeline_rate = training_batches(
        args.vocab_size, args.batch_size, args.unroll_steps, args.seed, steps
    )

    keras.utils.set_random_seed(args.seed)
    options = config_to_options(builtin_preset_config(args.preset))
    policy = "mixed_bfloat16" if args.dtype == "bfloat16" else "float32"
    elmo = ELMo.from_preset(
        args.preset,
        load_weights=False,
        dropout=args.dropout,
        dtype=policy,
        name="elmo",
    )
    model = ELMoLanguageModel(
        elmo,
        vocab_size=len(vocabulary),
        num_negative_samples=args.num_negative_samples,
        seed=args.seed,
        dtype=policy,
    )
    # PyTorch runs eagerly (keras_elmo's default there: torch.compile of
    # the LSTM loop takes tens of minutes).
    jit_compile = not args.no_jit and default_jit_compile()
    model.compile(jit_compile=jit_compile)

    tokens = args.batch_size * args.unroll_steps
    forward = forward_flops_per_token(options)
    softmax = 2 * sampled_softmax_flops_per_token(
        model.elmo.bilm.output_dim, model.num_negative_samples
    )
    step_flops = 3 * tokens * (forward["total"] + softmax)
    timer = clock(args.clock)
    probe = matmul_probe(dtype="float32", timer=timer)

    start = time.perf_counter()
    for x, y in data[: args.warmup_steps]:
        logs = model.train_on_batch(x, y, return_dict=True)
    warmup = time.perf_counter() - start
    seconds, rates, utilisation = [], [], []
    before = probe()
    for x, y in data[args.warmup_steps :]:
        start = timer()
        logs = model.train_on_batch(x, y, return_dict=True)
        float(logs["loss"])
        elapsed = timer() - start
        after = probe()
        rate = 0.5 * (before + after)
        seconds.append(elapsed)
        rates.append(rate)
        utilisation.append(step_flops / elapsed / rate)
        before = after
    emit(
        {
            "benchmark": "training",
            "preset": args.preset,
            "batch_size": args.batch_size,
            "unroll_steps": args.unroll_steps,
            "vocab_size": len(vocabulary),
            "num_negative_samples": model.num_negative_samples,
            "dropout": args.dropout,
            "dtype": args.dtype,
            "jit_compile": jit_compile,
            "clock": args.clock,
            "threads": threads,
            "tokens_per_step": tokens,
            "step_gflop": round(step_flops / 1e9, 2),
            "forward_gflops_per_token": round(forward["total"] / 1e9, 6),
            "softmax_gflops_per_token": round(softmax / 1e9, 6),
            "seconds_median": round(median(seconds), 4),
            "tokens_per_s": round(tokens / median(seconds), 1),
            "model_gflop_per_s": round(step_flops / median(seconds) / 1e9, 2),
            "matmul_gflop_per_s": round(median(rates) / 1e9, 2),
            "mfu": round(median(utilisation), 4),
            "mfu_runs": [round(u, 4) for u in utilisation],
            "final_loss": round(float(np.asarray(logs["loss"])), 4),
            "backend": keras.config.backend(),
            "pipeline_tokens_per_s": round(pipeline_rate, 1),
            "warmup_seconds": round(warmup, 2),
            "load_average": load_average(),
        }
    )


if __name__ == "__main__":
    main()
