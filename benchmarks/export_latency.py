"""Latency of the exported ELMo: SavedModel `serving_default` and TFLite.

Exports a model (an official architecture with random weights, or the
shared bilm-tf fixture) with `export_saved_model` and `export_tflite`, then
times single requests at each batch size and prints one JSON line per
(format, batch size): p50 / p99 / mean latency in ms, sentences/s and
tokens/s, plus the file sizes and export times.

- `saved_model`: `tf.saved_model.load(...).signatures["serving_default"]`
  on raw sentences (whitespace tokenization and character ids in the
  graph), in process: the work TF Serving does per request, without gRPC.
- `tflite`: `ai_edge_litert` interpreter (XNNPACK, `--tflite-threads`)
  on character ids, timed end to end from the sentences: the pure-Python
  `batch_to_char_ids` (as a device app would call it) plus the invoke; the
  interpreter resizes its input to every batch's shape.

Sentences are English docstring sentences of 10-30 tokens (see
`benchmarks.common.corpus_sentences`), taken in corpus order, so batches
mix lengths as real traffic does.

Usage (from the repository root):

    python benchmarks/export_latency.py
    python benchmarks/export_latency.py --presets fixture small original \
        --batch-sizes 1 32 --requests 50 --quantizations none dynamic
"""

import os
import shutil
import tempfile
import time

if __package__ in (None, ""):
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from benchmarks.common import base_parser
from benchmarks.common import configure_threads
from benchmarks.common import corpus_sentences
from benchmarks.common import emit
from benchmarks.common import load_average
from benchmarks.common import machine_info

FIXTURE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    os.pardir,
    "shared",
    "fixtures",
    "bilm_tf",
)


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--presets",
        nargs="+",
        default=["fixture", "small"],
        help="'fixture' (the shared bilm-tf test model) or official "
        "architectures with random weights: small, medium, original.",
    )
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 32])
    parser.add_argument(
        "--requests",
        type=int,
        default=100,
        help="Timed requests per configuration (after --warmup).",
    )
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=120.0,
        help="Stop timing a configuration after this long.",
    )
    parser.add_argument(
        "--quantizations",
        nargs="+",
        default=["none"],
        choices=["none", "dynamic", "float16"],
        help="TFLite files to time.",
    )
    parser.add_argument(
        "--tflite-threads",
        type=int,
        default=os.cpu_count(),
        help="Interpreter threads (default: all cores).",
    )
    parser.add_argument(
        "--formats",
        nargs="+",
        default=["saved_model", "tflite"],
        choices=["saved_model", "tflite"],
    )
    return parser.parse_args(argv)


def _build_model(preset, seed):
    import keras

    from keras_elmo.models.elmo import ELMo

    if preset == "fixture":
        if not os.path.isdir(FIXTURE):
            raise SystemExit(f"The shared fixture is not at {FIXTURE}")
        return ELMo.from_bilm_hdf5(
            os.path.join(FIXTURE, "options.json"),
            os.path.join(FIXTURE, "lm_weights.hdf5"),
        )
    keras.utils.set_random_seed(seed)
    return ELMo.from_preset(preset, load_weights=False)


def _percentile(values, q):
    import numpy as np

    return float(np.percentile(np.asarray(values) * 1e3, q))


def _time_requests(call, batches, args):
    """Latencies in seconds of `call(batch)`, cycling through `batches`."""
    for i in range(args.warmup):
        call(batches[i % len(batches)])
    latencies, tokens = [], 0
    budget_end = time.perf_counter() + args.max_seconds
    for i in range(args.requests):
        batch = batches[(args.warmup + i) % len(batches)]
        start = time.perf_counter()
        call(batch)
        latencies.append(time.perf_counter() - start)
        tokens += sum(len(sentence) for sentence in batch)
        if time.perf_counter() > budget_end:
            break
    return latencies, tokens


def _record(base, latencies, tokens, batch_size):
    total = sum(latencies)
    return dict(
        base,
        batch_size=batch_size,
        requests=len(latencies),
        p50_ms=round(_percentile(latencies, 50), 3),
        p99_ms=round(_percentile(latencies, 99), 3),
        mean_ms=round(total / len(latencies) * 1e3, 3),
        sentences_per_s=round(len(latencies) * batch_size / total, 1),
        tokens_per_s=round(tokens / total, 1),
        load_average=load_average(),
    )


def _directory_mb(path):
    size = 0
    for root, _, files in os.walk(path):
        size += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return round(size / 2**20, 2)


def _bench_saved_model(model, preset, sentences, args, workdir):
    import tensorflow as tf

    from keras_elmo.export.saved_model import export_saved_model

    start = time.perf_counter()
    path = export_saved_model(model, os.path.join(workdir, preset))
    export_seconds = time.perf_counter() - start
    serving_default = tf.saved_model.load(path).signatures["serving_default"]

    def call(batch):
        text = tf.constant([" ".join(sentence) for sentence in batch])
        serving_default(sentences=text)["elmo"].numpy()

    base = {
        "benchmark": "export_latency",
        "format": "saved_model",
        "signature": "serving_default",
        "preset": preset,
        "export_seconds": round(export_seconds, 1),
        "file_mb": _directory_mb(path),
    }
    for batch_size in args.batch_sizes:
        batches = _batches(sentences, batch_size)
        latencies, tokens = _time_requests(call, batches, args)
        emit(_record(base, latencies, tokens, batch_size))


def _bench_tflite(model, preset, sentences, args, workdir, quantization):
    from ai_edge_litert.interpreter import Interpreter

    from keras_elmo.export.tflite import export_tflite
    from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids

    start = time.perf_counter()
    path = export_tflite(
        model,
        os.path.join(workdir, f"{preset}_{quantization}.tflite"),
        quantization=None if quantization == "none" else quantization,
    )
    export_seconds = time.perf_counter() - start
    interpreter = Interpreter(model_path=path, num_threads=args.tflite_threads)
    runner = interpreter.get_signature_runner()

    def call(batch):
        runner(char_ids=batch_to_char_ids(batch))["elmo"]

    base = {
        "benchmark": "export_latency",
        "format": "tflite",
        "quantization": quantization,
        "preset": preset,
        "threads": args.tflite_threads,
        "export_seconds": round(export_seconds, 1),
        "file_mb": round(os.path.getsize(path) / 2**20, 2),
    }
    for batch_size in args.batch_sizes:
        batches = _batches(sentences, batch_size)
        latencies, tokens = _time_requests(call, batches, args)
        emit(_record(base, latencies, tokens, batch_size))


def _batches(sentences, batch_size):
    count = max(len(sentences) // batch_size, 1)
    return [
        sentences[i * batch_size : (i + 1) * batch_size] for i in range(count)
    ]


def main(argv=None):
    args = parse_args(argv)
    threads = configure_threads(args.intra_op_threads, args.inter_op_threads)
    emit({"benchmark": "export_latency", "machine": machine_info(), **threads})
    sentences = corpus_sentences(10, 30)
    workdir = tempfile.mkdtemp(prefix="elmo_export_latency_")
    try:
        for preset in args.presets:
            model = _build_model(preset, args.seed)
            if "saved_model" in args.formats:
                _bench_saved_model(model, preset, sentences, args, workdir)
            if "tflite" in args.formats:
                for quantization in args.quantizations:
                    _bench_tflite(
                        model, preset, sentences, args, workdir, quantization
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
