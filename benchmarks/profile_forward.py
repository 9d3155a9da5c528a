"""Where the ELMo forward spends its time: a per-component profile.

Times each part of the forward on its own (compiled the same way as the
model) for one batch of real sentences, and prints for each part its exact
FLOPs, its time, its FLOP rate and that rate as a fraction of the dense
matmul rate measured in the same process (interleaved with the parts).

With `--backward`, each part is timed forward and backward in training
mode (what a train step does), and its FLOPs are counted 3x.

Usage (from the repository root):

    python benchmarks/profile_forward.py --preset small --batch-size 32
    python benchmarks/profile_forward.py --backward --batch-size 128 \
        --clock cpu --intra-op-threads 1 --inter-op-threads 1
"""

if __package__ in (None, ""):
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from benchmarks.common import base_parser
from benchmarks.common import batches
from benchmarks.common import clock
from benchmarks.common import configure_threads
from benchmarks.common import corpus_sentences
from benchmarks.common import emit
from benchmarks.common import forward_flops_per_token
from benchmarks.common import load_average
from benchmarks.common import matmul_probe
from benchmarks.common import median
from benchmarks.common import run_to_completion
from benchmarks.common import timed_runs


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--preset", default="elmo_small_en")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--dtype", default="float32", choices=["float32", "bfloat16"]
    )
    parser.add_argument("--no-jit", action="store_true")
    parser.add_argument(
        "--backward",
        action="store_true",
        help="Time forward and backward passes in training mode (gradients "
        "of the weights and of float inputs), counted as 3x the forward.",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    threads = configure_threads(args.intra_op_threads, args.inter_op_threads)
    import keras
    import tensorflow as tf

    from keras_elmo.conversion.bilm_options import config_to_options
    from keras_elmo.models.elmo import ELMo
    from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
    from keras_elmo.presets import builtin_preset_config

    jit = not args.no_jit
    keras.utils.set_random_seed(args.seed)
    options = config_to_options(builtin_preset_config(args.preset))
    policy = "mixed_bfloat16" if args.dtype == "bfloat16" else "float32"
    model = ELMo.from_preset(args.preset, load_weights=False, dtype=policy)
    sentences = corpus_sentences(20, 30)
    group = batches(sentences, args.batch_size, bucket=False)[0]
    char_ids = tf.constant(batch_to_char_ids(group))
    batch, tokens = char_ids.shape[0], char_ids.shape[1]
    positions = batch * tokens  # every computed position, padding included
    flops = forward_flops_per_token(options)
    encoder, bilm = model.char_cnn, model.bilm
    mask = encoder.compute_mask(char_ids)
    dim = encoder.num_filters

    training = args.backward

    def compile_(fn, variables):
        if not args.backward:
            return tf.function(fn, jit_compile=jit)

        def forward_backward(*inputs):
            floats = [x for x in inputs if x.dtype.is_floating]
            with tf.GradientTape() as tape:
                tape.watch(floats)
                outputs = tf.cast(fn(*inputs), "float32")
                loss = tf.reduce_sum(outputs * outputs)
            # Weight gradients, and input gradients where the input is a
            # float activation (as inside the full model).
            return tape.gradient(loss, list(variables) + floats)

        return tf.function(forward_backward, jit_compile=jit)

    def encoder_dense(x):
        for highway in encoder.highways:
            x = highway(x)
        if encoder.projection is not None:
            x = encoder.projection(x)
        return x

    pooled = tf.random.normal((positions, dim), dtype=encoder.compute_dtype)
    embeddings = tf.cast(encoder(char_ids), bilm.compute_dtype)
    lstm = bilm.lstms["forward"][0]
    lstm_flops = (
        flops["lstm_input"] + flops["lstm_recurrent"] + flops["lstm_projection"]
    ) / (2 * bilm.num_layers)
    convolution_weights = encoder.char_embed.trainable_weights + [
        w for c in encoder.convolutions for w in c.trainable_weights
    ]
    dense_weights = [w for h in encoder.highways for w in h.trainable_weights]
    if encoder.projection is not None:
        dense_weights += encoder.projection.trainable_weights
    parts = [
        (
            "char_cnn_convolutions",
            compile_(
                lambda ids: encoder._convolve(ids, training),
                convolution_weights,
            ),
            (char_ids,),
            flops["char_cnn"],
        ),
        (
            "highway_and_projection",
            compile_(encoder_dense, dense_weights),
            (pooled,),
            flops["highway"] + flops["cnn_projection"],
        ),
        (
            "char_cnn_encoder",
            compile_(
                lambda ids: encoder(ids, training=training),
                encoder.trainable_weights,
            ),
            (char_ids,),
            flops["char_cnn"] + flops["highway"] + flops["cnn_projection"],
        ),
        (
            "one_lstm_direction_layer",
            compile_(lambda x, m: lstm(x, mask=m)[0], lstm.trainable_weights),
            (embeddings, mask),
            lstm_flops,
        ),
        (
            "bilm",
            compile_(
                lambda x, m: bilm(x, mask=m, training=training),
                bilm.trainable_weights,
            ),
            (embeddings, mask),
            flops["total"]
            - flops["char_cnn"]
            - flops["highway"]
            - flops["cnn_projection"],
        ),
        (
            "elmo_forward",
            compile_(
                lambda ids: model(ids, training=training)["layers"],
                model.trainable_weights,
            ),
            (char_ids,),
            flops["total"],
        ),
    ]
    # Forward and backward: 3x the forward FLOPs.
    passes = 3 if args.backward else 1
    timer = clock(args.clock)
    probe = matmul_probe(
        dtype="bfloat16" if args.dtype == "bfloat16" else "float32",
        timer=timer,
    )

    for name, fn, inputs, per_token in parts:
        per_token = passes * per_token
        run_to_completion(fn, inputs)  # warm-up and compile
        seconds, rates = timed_runs(
            lambda: run_to_completion(fn, inputs),  # noqa: B023
            args.repeats,
            timer,
            probe,
        )
        ratios = [
            positions * per_token / elapsed / rate
            for elapsed, rate in zip(seconds, rates)
        ]
        emit(
            {
                "benchmark": "profile_forward",
                "preset": args.preset,
                "batch_size": batch,
                "tokens_per_row": tokens,
                "dtype": args.dtype,
                "jit_compile": jit,
                "clock": args.clock,
                "threads": threads,
                "part": name,
                "backward": args.backward,
                "gflop": round(positions * per_token / 1e9, 3),
                "seconds_median": round(median(seconds), 4),
                "gflop_per_s": round(
                    positions * per_token / median(seconds) / 1e9, 2
                ),
                "fraction_of_matmul": round(median(ratios), 4),
                "load_average": load_average(),
            }
        )


if __name__ == "__main__":
    main()
