"""Where the time of a biLM pretraining step goes.

Times, in one process and against the same matmul probe, the parts of the
train step of `ELMoLanguageModel` (the `benchmarks/training.py` setting:
small preset, batch 128 x 20, 100,000-word vocabulary, 8,192 sampled
negatives), each compiled alone by XLA:

- `train_step`: the whole step as Keras runs it (`train_on_batch`);
- `loss_and_gradients`: forward, both sampled-softmax losses and every
  gradient, without the optimizer;
- `optimizer_apply`: Adagrad with the global-norm clip, on the gradients
  of a real step (the softmax weights' gradient is sparse);
- `elmo_forward_backward`: the ELMo forward and backward alone (character
  CNN, highway, projection, biLM), with a loss that needs no softmax;
- `softmax_forward_backward`: both directions' sampler, sampled logits,
  loss and gradients from fixed biLM outputs;
- `sampler`: the negative sampler alone (two calls, one per direction).

Each part prints one JSON line with its median time and its share of the
whole step; `ratio_to_matmul` is the part's counted FLOP rate over the
probe's (counted as in `benchmarks/training.py`: 3x the forward).

`--hlo-ops N` then traces whole train steps with the TensorFlow profiler,
with XLA's per-operation trace events on, and prints the N operations of
the compiled step (fusions, matmuls) that take the most time, and the same
grouped by kind: what the parts timed alone do not show.

Usage (from the repository root):

    python benchmarks/profile_train_step.py --clock cpu \\
        --intra-op-threads 1 --inter-op-threads 1
    python benchmarks/profile_train_step.py --hlo-ops 20
"""

import collections
import glob
import os
import re
import sys
import tempfile

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from benchmarks.common import base_parser
from benchmarks.common import clock
from benchmarks.common import configure_threads
from benchmarks.common import emit
from benchmarks.common import forward_flops_per_token
from benchmarks.common import load_average
from benchmarks.common import machine_info
from benchmarks.common import matmul_probe
from benchmarks.common import median
from benchmarks.common import run_to_completion
from benchmarks.common import sampled_softmax_flops_per_token
from benchmarks.common import timed_runs
from benchmarks.training import add_step_arguments
from benchmarks.training import training_batches


def parse_args(argv=None):
    parser = add_step_arguments(base_parser(__doc__.splitlines()[0]))
    parser.add_argument(
        "--hlo-ops",
        type=int,
        default=0,
        help="Also trace the whole step and print its N slowest XLA "
        "operations (0: off).",
    )
    return parser.parse_args(argv)


def hlo_op_seconds(run_step, steps):
    """Seconds per step of every XLA operation that `run_step` runs.

    Traces `steps` calls with the TensorFlow profiler; XLA:CPU emits a
    trace event per executed operation when started with
    `--xla_cpu_enable_xprof_traceme` (set by `main` before TensorFlow is
    imported). Times are summed over the threads that ran them.

    Returns:
        `collections.Counter`: operation name -> seconds per step.
    """
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(steps):
            run_step()
        tf.profiler.experimental.stop()
        pattern = os.path.join(logdir, "**", "*.xplane.pb")
        with open(glob.glob(pattern, recursive=True)[0], "rb") as f:
            space.ParseFromString(f.read())
    seconds = collections.Counter()
    for plane in space.planes:
        names = {k: v.name for k, v in plane.event_metadata.items()}
        hlo_op = [
            k for k, v in plane.stat_metadata.items() if v.name == "hlo_op"
        ]
        for line in plane.lines:  # the caller's thread and the workers
            for event in line.events:
                # XLA's operation events carry an `hlo_op` stat; the spans
                # around them (the step, the executable) do not.
                if any(stat.metadata_id in hlo_op for stat in event.stats):
                    name = names[event.metadata_id]
                    seconds[name] += event.duration_ps / 1e12 / steps
    return seconds


def emit_hlo_ops(args, run_step, step_seconds):
    """Print the slowest operations of the step, then the same by kind."""
    seconds = hlo_op_seconds(run_step, args.repeats)
    kinds = collections.Counter()
    for name, value in seconds.items():
        kinds[re.sub(r"[._]\d+$", "", name)] += value
    for label, table in (("op", seconds), ("kind", kinds)):
        for name, value in table.most_common(args.hlo_ops):
            emit(
                {
                    "benchmark": "profile_train_step_hlo",
                    "preset": args.preset,
                    label: name,
                    "thread_seconds_per_step": round(value, 4),
                    "share_of_step_threads": round(
                        value / (seconds.total() or 1), 3
                    ),
                    "step_seconds": round(step_seconds, 4),
                }
            )


def main(argv=None):
    args = parse_args(argv)
    if args.hlo_ops:
        # Before TensorFlow is imported: XLA reads its flags once.
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + " --xla_cpu_enable_xprof_traceme=true"
        )
    threads = configure_threads(args.intra_op_threads, args.inter_op_threads)
    import keras
    import tensorflow as tf

    from keras_elmo.conversion.bilm_options import config_to_options
    from keras_elmo.layers.softmax_losses import sample_log_uniform
    from keras_elmo.models.elmo import ELMo
    from keras_elmo.models.elmo_language_model import ELMoLanguageModel
    from keras_elmo.presets import builtin_preset_config

    emit({"benchmark": "machine", **machine_info(), "threads": threads})
    vocabulary, data, _ = training_batches(
        args.vocab_size, args.batch_size, args.unroll_steps, args.seed, 3
    )
    keras.utils.set_random_seed(args.seed)
    options = config_to_options(builtin_preset_config(args.preset))
    elmo = ELMo.from_preset(
        args.preset, load_weights=False, dropout=args.dropout, name="elmo"
    )
    model = ELMoLanguageModel(
        elmo,
        vocab_size=len(vocabulary),
        num_negative_samples=args.num_negative_samples,
        seed=args.seed,
    )
    model.compile(jit_compile=True)
    x, y = data[0]
    model.train_on_batch(x, y)  # builds the optimizer
    x = {k: tf.constant(v) for k, v in x.items()}
    y = {k: tf.constant(v) for k, v in y.items()}
    variables = model.trainable_variables
    elmo_variables = model.elmo.trainable_variables
    head = model.softmax

    def loss_and_gradients(x, y):
        with tf.GradientTape() as tape:
            loss = model._loss(
                model._negative_log_likelihoods(x, y, training=True)
            )
        return tape.gradient(loss, variables)

    gradients = tf.function(loss_and_gradients, jit_compile=True)(x, y)

    def optimizer_apply(gradients):
        model.optimizer.apply(gradients, variables)
        return model.optimizer.iterations

    def elmo_forward_backward(x):
        with tf.GradientTape() as tape:
            hidden = model(x, training=True)
            loss = tf.reduce_sum(hidden["forward"] ** 2) + tf.reduce_sum(
                hidden["backward"] ** 2
            )
        return tape.gradient(loss, elmo_variables)

    hidden = {
        k: tf.constant(v.numpy()) for k, v in model(x, training=False).items()
    }

    def softmax_forward_backward(hidden, y):
        states = [hidden["forward"], hidden["backward"]]
        with tf.GradientTape() as tape:
            tape.watch(states)
            loss = 0.0
            for state, key in zip(
                states, ("next_token_ids", "previous_token_ids")
            ):
                loss += tf.reduce_mean(head(state, y[key], training=True))
        return tape.gradient(loss, states + head.trainable_variables)

    seed = keras.random.SeedGenerator(args.seed)

    def sampler():
        return [
            sample_log_uniform(
                args.num_negative_samples,
                len(vocabulary),
                seed=seed,
                num_draws=head._num_draws,
            )
            for _ in range(2)
        ]

    tokens = args.batch_size * args.unroll_steps
    forward = forward_flops_per_token(options)["total"]
    softmax = 2 * sampled_softmax_flops_per_token(
        model.elmo.bilm.output_dim, model.num_negative_samples
    )
    parts = [
        (
            "train_step",
            lambda: model.train_on_batch(data[1][0], data[1][1]),
            forward + softmax,
        ),
        (
            "loss_and_gradients",
            tf.function(loss_and_gradients, jit_compile=True),
            forward + softmax,
            x,
            y,
        ),
        (
            "optimizer_apply",
            tf.function(optimizer_apply, jit_compile=True),
            0,
            gradients,
        ),
        (
            "elmo_forward_backward",
            tf.function(elmo_forward_backward, jit_compile=True),
            forward,
            x,
        ),
        (
            "softmax_forward_backward",
            tf.function(softmax_forward_backward, jit_compile=True),
            softmax,
            hidden,
            y,
        ),
        ("sampler", tf.function(sampler, jit_compile=True), 0),
    ]
    timer = clock(args.clock)
    probe = matmul_probe(dtype="float32", timer=timer)

    step_seconds = None
    for name, fn, flops_per_token, *inputs in parts:
        run_to_completion(fn, inputs)  # warm-up and compile
        seconds, rates = timed_runs(
            lambda: run_to_completion(fn, inputs),  # noqa: B023
            args.repeats,
            timer,
            probe,
        )
        elapsed = median(seconds)
        step_seconds = step_seconds or elapsed
        flops = 3 * tokens * flops_per_token
        emit(
            {
                "benchmark": "profile_train_step",
                "preset": args.preset,
                "part": name,
                "clock": args.clock,
                "threads": threads,
                "gflop": round(flops / 1e9, 2),
                "seconds_median": round(elapsed, 4),
                "share_of_step": round(elapsed / step_seconds, 3),
                "ratio_to_matmul": round(flops / elapsed / median(rates), 4),
                "matmul_gflop_per_s": round(median(rates) / 1e9, 2),
                "load_average": load_average(),
            }
        )
    if args.hlo_ops:
        emit_hlo_ops(
            args,
            lambda: run_to_completion(parts[0][1], []),
            step_seconds,
        )


if __name__ == "__main__":
    main()
