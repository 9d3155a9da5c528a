"""Peak resident memory of `keras-elmo embed` on a large text file.

Writes a random-weight model of a preset in the original format, a text
file of `--tokens` tokens (English sentences, one a line) and runs the
command line `keras-elmo embed` on it in a child process, reporting the
child's peak resident set size (`ru_maxrss`). The same is done for a small
file first (about one pass over the same sentences): if the command
streams, both peaks are about the same (memory bounded by the batch and
chunk sizes, not by the file).

Usage (from the repository root):

    python benchmarks/memory_embed.py
    python benchmarks/memory_embed.py --tokens 200000 --preset small
"""

import itertools
import os
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from benchmarks.common import base_parser
from benchmarks.common import corpus_sentences
from benchmarks.common import emit
from benchmarks.common import load_average
from benchmarks.common import machine_info

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--preset", default="elmo_small_en")
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument(
        "--baseline-tokens",
        type=int,
        default=100_000,
        help="Tokens of the smaller file embedded first, for comparison "
        "(the default is about one pass over the corpus sentences, so both "
        "files hold the same sentence lengths).",
    )
    parser.add_argument(
        "--output",
        default="all",
        choices=["all", "top", "average", "elmo"],
        help="Which layers the command writes.",
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-tokens-per-batch", type=int, default=4096)
    parser.add_argument("--chunk-size", type=int, default=4096)
    return parser.parse_args(argv)


def write_text(path, tokens):
    """Write sentences (cycling through the corpus) until `tokens`."""
    sentences = corpus_sentences()
    written = lines = 0
    with open(path, "w", encoding="utf-8") as f:
        for sentence in itertools.cycle(sentences):
            if written >= tokens:
                break
            sentence = sentence[: tokens - written]
            f.write(" ".join(sentence) + "\n")
            written += len(sentence)
            lines += 1
    return written, lines


def run_embed(args, options_file, weights_file, text_file, output_file):
    """Run `keras-elmo embed` in a child; returns (seconds, peak MiB)."""
    command = [
        sys.executable,
        "-m",
        "keras_elmo.cli.main",
        "embed",
        text_file,
        output_file,
        "--options",
        options_file,
        "--weights",
        weights_file,
        f"--{args.output}",
        "--batch-size",
        str(args.batch_size),
        "--max-tokens-per-batch",
        str(args.max_tokens_per_batch),
        "--chunk-size",
        str(args.chunk_size),
        "--no-progress",
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    start = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    # wait4 gives the resource usage of this child alone.
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    stdout, stderr = child.stdout.read(), child.stderr.read()
    child.stdout.close()
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(
            "keras-elmo embed failed:\n" + stderr.decode(errors="replace")
        )
    return seconds, usage.ru_maxrss / 1024, stdout.decode().strip()


def main(argv=None):
    args = parse_args(argv)
    import keras

    from keras_elmo.models.elmo import ELMo

    emit({"benchmark": "machine", **machine_info()})
    with tempfile.TemporaryDirectory() as tmp:
        keras.utils.set_random_seed(args.seed)
        options_file = os.path.join(tmp, "options.json")
        weights_file = os.path.join(tmp, "weights.hdf5")
        ELMo.from_preset(args.preset, load_weights=False).save_bilm_hdf5(
            weights_file, options_file
        )
        for size in (args.baseline_tokens, args.tokens):
            text = os.path.join(tmp, f"text_{size}.txt")
            output = os.path.join(tmp, f"embeddings_{size}.hdf5")
            tokens, lines = write_text(text, size)
            seconds, peak, message = run_embed(
                args, options_file, weights_file, text, output
            )
            emit(
                {
                    "benchmark": "memory_embed",
                    "preset": args.preset,
                    "output": args.output,
                    "tokens": tokens,
                    "sentences": lines,
                    "batch_size": args.batch_size,
                    "max_tokens_per_batch": args.max_tokens_per_batch,
                    "chunk_size": args.chunk_size,
                    "input_mb": round(os.path.getsize(text) / 2**20, 1),
                    "output_mb": round(os.path.getsize(output) / 2**20, 1),
                    "seconds": round(seconds, 1),
                    "tokens_per_s": round(tokens / seconds, 1),
                    "peak_rss_mb": round(peak, 1),
                    "command_output": message,
                    "load_average": load_average(),
                }
            )
            os.remove(output)


if __name__ == "__main__":
    main()
