"""Shared helpers of the keras_elmo benchmarks.

Every benchmark prints JSON lines and reports ratios measured in one
process: the model's FLOP rate divided by the dense matmul FLOP rate of the
same machine, measured between the model's timed runs (the machine is
shared, so a ratio of interleaved measurements is the figure that means
something; absolute times are reported too).

FLOPs are counted exactly from the architecture: `2 * m * n * k` for every
matmul, a convolution counted as the matmul over its character windows
(`2 * width * char_dim * n_filters` per output position, over all
`max_characters_per_token - width + 1` positions), and the LSTM input,
recurrent and projection matmuls. Elementwise work (bias adds, gate
nonlinearities, clipping, the highway mix, max-pooling) is not counted;
`elementwise_ops_per_token` reports an estimate of it separately.
"""

import argparse
import datetime
import importlib
import inspect
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

# Quieter TensorFlow start-up (set before TensorFlow is imported).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Modules whose docstrings provide English prose for the benchmarks: the
# text is real, needs no download and is the same in every fresh checkout
# on the same Python version.
_CORPUS_MODULES = (
    "argparse",
    "asyncio",
    "ast",
    "bisect",
    "calendar",
    "codecs",
    "collections",
    "concurrent.futures",
    "configparser",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "doctest",
    "email",
    "enum",
    "fractions",
    "ftplib",
    "functools",
    "gettext",
    "gzip",
    "heapq",
    "hmac",
    "html.parser",
    "http.client",
    "imaplib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "locale",
    "logging",
    "mailbox",
    "multiprocessing",
    "os",
    "pathlib",
    "pdb",
    "pickle",
    "pydoc",
    "queue",
    "random",
    "re",
    "sched",
    "selectors",
    "shutil",
    "smtplib",
    "socket",
    "sqlite3",
    "ssl",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "tokenize",
    "traceback",
    "typing",
    "unittest",
    "urllib.request",
    "uuid",
    "warnings",
    "xml.etree.ElementTree",
    "zipfile",
)


def corpus_sentences(min_tokens=1, max_tokens=None):
    """English sentences from the docstrings of the Python standard library.

    Docstrings of the modules in `_CORPUS_MODULES` (module, classes,
    functions, methods) are split into sentences at `.`, `!` or `?`
    followed by white space, and tokenized on white space. Duplicates are
    dropped; the order is deterministic.

    Args:
        min_tokens: int. Keep sentences with at least this many tokens.
        max_tokens: int or `None`. Keep sentences with at most this many.

    Returns:
        A list of sentences, each a list of str tokens.

    Example:

    >>> sentences = corpus_sentences(20, 30)
    """
    seen = set()
    sentences = []
    for module_name in _CORPUS_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        docs = [inspect.getdoc(module) or ""]
        for _, obj in sorted(vars(module).items()):
            if inspect.isfunction(obj) or inspect.isclass(obj):
                docs.append(inspect.getdoc(obj) or "")
            if inspect.isclass(obj):
                for _, member in sorted(vars(obj).items()):
                    if inspect.isfunction(member):
                        docs.append(inspect.getdoc(member) or "")
        for doc in docs:
            text = " ".join(doc.split())
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                tokens = sentence.split()
                if len(tokens) < min_tokens:
                    continue
                if max_tokens is not None and len(tokens) > max_tokens:
                    continue
                key = tuple(tokens)
                if key not in seen:
                    seen.add(key)
                    sentences.append(tokens)
    return sentences


def batches(sentences, batch_size, bucket=True):
    """Split sentences into batches, optionally bucketed by length.

    Args:
        sentences: list of token lists.
        batch_size: int. Sentences per batch; a short last batch is dropped.
        bucket: bool. Sort by length first, so that each batch holds
            sentences of (nearly) one length and little padding is computed.

    Returns:
        A list of batches, each a list of `batch_size` sentences.
    """
    if bucket:
        sentences = sorted(sentences, key=len)
    count = len(sentences) // batch_size
    return [
        sentences[i * batch_size : (i + 1) * batch_size] for i in range(count)
    ]


def _conv_flops(options):
    cnn = options["char_cnn"]
    chars = cnn.get("max_characters_per_token", 50)
    char_dim = cnn["embedding"]["dim"]
    return sum(
        (chars - width + 1) * 2 * width * char_dim * num
        for width, num in cnn["filters"]
    )


def forward_flops_per_token(options):
    """Exact matmul FLOPs of the ELMo forward pass for one real token.

    Counts every multiply-add of the character CNN (all character windows),
    the highway layers, the CNN projection and, for both directions and all
    layers, the LSTM input, recurrent and projection matmuls.

    Args:
        options: dict in the original options.json format.

    Returns:
        A dict of FLOPs per token by component, with `"total"`, and
        `"elementwise_ops_per_token"` (an estimate of the bias adds,
        nonlinearities, gate products, clips and max-pool comparisons,
        one per element; not in `"total"`).

    Example:

    >>> options = config_to_options(builtin_preset_config("elmo_small_en"))
    >>> forward_flops_per_token(options)["total"]
    44355584
    """
    cnn, lstm = options["char_cnn"], options["lstm"]
    num_filters = sum(num for _, num in cnn["filters"])
    projection_dim = lstm["projection_dim"]
    units = lstm["dim"]
    n_highway = cnn.get("n_highway") or 0
    chars = cnn.get("max_characters_per_token", 50)
    counts = {
        "char_cnn": _conv_flops(options),
        "highway": n_highway * 2 * (2 * num_filters * num_filters),
        "cnn_projection": (
            2 * num_filters * projection_dim
            if num_filters != projection_dim
            else 0
        ),
    }
    output_dim = projection_dim if projection_dim < units else units
    lstm_input = lstm_recurrent = lstm_projection = 0
    for layer in range(lstm.get("n_layers", 1)):
        input_dim = projection_dim if layer == 0 else output_dim
        lstm_input += 2 * (2 * input_dim * 4 * units)
        lstm_recurrent += 2 * (2 * output_dim * 4 * units)
        if output_dim != units:
            lstm_projection += 2 * (2 * units * output_dim)
    counts["lstm_input"] = lstm_input
    counts["lstm_recurrent"] = lstm_recurrent
    counts["lstm_projection"] = lstm_projection
    counts["total"] = sum(counts.values())
    n_layers = lstm.get("n_layers", 1)
    counts["elementwise_ops_per_token"] = (
        # conv bias + max-pool compare per window, activation per filter
        sum((chars - w + 1) * n * 2 for w, n in cnn["filters"])
        + num_filters
        # highway: 2 bias adds, sigmoid, relu, 3 for the mix
        + n_highway * 7 * num_filters
        # LSTM per direction and layer: gate bias and add (8u), 3 sigmoid,
        # 2 tanh, 3 products, 1 add, cell clip (11u), projection clip,
        # skip connection, the mask selects (~4 per output)
        + 2 * n_layers * (19 * units + 6 * output_dim)
    )
    return counts


def sampled_softmax_flops_per_token(dim, num_sampled):
    """FLOPs of one direction's sampled softmax logits for one token.

    Args:
        dim: int. Size of the vectors fed to the softmax.
        num_sampled: int. Negative classes sampled per batch.

    Returns:
        `2 * dim * (num_sampled + 1)`: the true-class logit and the logits
        against the shared negative samples.
    """
    return 2 * dim * (num_sampled + 1)


def clock(name):
    """The timer of `--clock`: wall time, or this process's CPU time.

    CPU time (`time.process_time`, all threads of the process) is the
    robust measure on a machine shared with other jobs when the benchmark
    runs on one thread: it counts only the time this process ran, so the
    ratio against a matmul timed the same way is the per-core efficiency,
    whatever the load.
    """
    if name == "wall":
        return time.perf_counter
    if name == "cpu":
        return time.process_time
    raise ValueError(f"`clock` must be 'wall' or 'cpu'. Received: {name!r}")


def matmul_probe(size=2048, dtype="float32", repeats=3, timer=None):
    """A callable returning the dense matmul FLOP/s measured when called.

    Each call times a chain of `repeats` products of `[size, size]`
    matrices with the matmuls of the Keras backend that runs the model,
    on the same thread pools: on TensorFlow twice, compiled by XLA and as
    graph kernels (oneDNN), keeping the faster rate; on JAX under
    `jax.jit`; on PyTorch with `torch.matmul`. The result is the best
    dense matmul throughput the model's own framework gets on this
    machine, so that a ratio against it is never flattered by a slow
    matmul path.

    Args:
        size: int. Matrix size.
        dtype: str. `"float32"` or `"bfloat16"`.
        repeats: int. Products per measurement.
        timer: the clock (see `clock`); defaults to wall time.

    Returns:
        A function `probe() -> float` (FLOP/s).

    Example:

    >>> probe = matmul_probe()
    >>> probe() / 1e9  # GFLOP/s
    """
    import keras

    backend = keras.config.backend()
    if backend == "jax":
        return _jax_matmul_probe(size, dtype, repeats, timer)
    if backend == "torch":
        return _torch_matmul_probe(size, dtype, repeats, timer)
    import tensorflow as tf

    a = tf.cast(tf.random.stateless_normal((size, size), (1, 2)), dtype)
    # Scaled so that a chain of products keeps unit magnitude.
    b = tf.cast(
        tf.random.stateless_normal((size, size), (3, 4)) / size**0.5, dtype
    )

    def products(a, b):
        # A chain of dependent products: none can be elided or merged.
        for _ in range(repeats):
            a = tf.matmul(a, b)  # (size, size)
        return a[0, 0]

    variants = [
        tf.function(products, jit_compile=True),
        tf.function(products, jit_compile=False),
    ]
    for variant in variants:
        variant(a, b).numpy()  # warm-up and compile

    timer = timer or time.perf_counter

    def probe():
        best = 0.0
        for variant in variants:
            start = timer()
            variant(a, b).numpy()
            seconds = timer() - start
            best = max(best, repeats * 2 * size**3 / seconds)
        return best

    return probe


def _best_rate(variants, size, repeats, timer):
    timer = timer or time.perf_counter

    def probe():
        best = 0.0
        for variant in variants:
            start = timer()
            variant()
            seconds = timer() - start
            best = max(best, repeats * 2 * size**3 / seconds)
        return best

    for variant in variants:
        variant()  # warm-up and compile
    return probe


def _jax_matmul_probe(size, dtype, repeats, timer):
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.PRNGKey(1), (size, size)).astype(dtype)
    b = jax.random.normal(jax.random.PRNGKey(3), (size, size)) / size**0.5
    b = b.astype(dtype)

    @jax.jit
    def products(a, b):
        for _ in range(repeats):
            a = jnp.matmul(a, b)  # (size, size)
        return a[0, 0]

    return _best_rate(
        [lambda: products(a, b).block_until_ready()], size, repeats, timer
    )


def _torch_matmul_probe(size, dtype, repeats, timer):
    import torch

    generator = torch.Generator().manual_seed(1)
    torch_dtype = getattr(torch, dtype)
    a = torch.randn((size, size), generator=generator).to(torch_dtype)
    b = (torch.randn((size, size), generator=generator) / size**0.5).to(
        torch_dtype
    )

    def products():
        x = a
        with torch.no_grad():
            for _ in range(repeats):
                x = torch.matmul(x, b)  # (size, size)
        return float(x[0, 0])

    return _best_rate([products], size, repeats, timer)


def timed_runs(run, repeats, timer, probe):
    """Time `run()` `repeats` times, with the matmul rate around each run.

    Args:
        run: callable doing the work (and waiting for its results).
        repeats: int. Timed runs.
        timer: the clock (see `clock`).
        probe: a `matmul_probe` callable.

    Returns:
        `(seconds, rates)`: per run, its time and the mean of the matmul
        FLOP/s probed just before and just after it.
    """
    seconds, rates = [], []
    before = probe()
    for _ in range(repeats):
        start = timer()
        run()
        seconds.append(timer() - start)
        after = probe()
        rates.append(0.5 * (before + after))
        before = after
    return seconds, rates


def run_to_completion(fn, inputs):
    """Call `fn(*inputs)` and wait for every output (NumPy conversion)."""
    import keras

    for value in keras.tree.flatten(fn(*inputs)):
        keras.ops.convert_to_numpy(value)


def configure_threads(intra_op=None, inter_op=None):
    """Set the backend's thread pools (call before any op runs).

    TensorFlow: intra- and inter-op pools. PyTorch: `torch.set_num_threads`
    (intra-op). JAX (XLA:CPU) sizes its pool at start-up and is left as is.
    """
    import keras

    backend = keras.config.backend()
    if backend == "torch":
        import torch

        if intra_op:
            torch.set_num_threads(intra_op)
        if inter_op:
            torch.set_num_interop_threads(inter_op)
        return {
            "intra_op": torch.get_num_threads(),
            "inter_op": torch.get_num_interop_threads(),
        }
    if backend == "jax":
        return {"intra_op": "xla default", "inter_op": "xla default"}
    import tensorflow as tf

    if intra_op:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
    if inter_op:
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    return {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def load_average():
    """The 1-minute load average (other users of the machine)."""
    return round(os.getloadavg()[0], 2)


def peak_rss_mb():
    """Peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_info():
    """CPU model, cores, bf16 support and library versions, as a dict."""
    from importlib import metadata

    import keras
    import numpy as np

    def version(package):
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    cpu, flags = platform.processor(), ""
    try:
        lscpu = subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Model name":
                cpu = value.strip()
            if key.strip() == "Flags":
                flags = value
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "avx512_bf16": "avx512_bf16" in flags.split(),
        "amx": "amx_tile" in flags.split(),
        "python": platform.python_version(),
        "backend": keras.config.backend(),
        "tensorflow": version("tensorflow"),
        "jax": version("jax"),
        "torch": version("torch"),
        "keras": keras.__version__,
        "numpy": np.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        "onednn_env": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
    }


def median(values):
    """The median of a non-empty sequence of numbers."""
    return statistics.median(values)


def emit(record):
    """Print one JSON line and flush."""
    print(json.dumps(record, sort_keys=True), flush=True)


def base_parser(description):
    """Argument parser with the options every benchmark shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--intra-op-threads",
        type=int,
        default=0,
        help="Intra-op threads (0 = the backend's default).",
    )
    parser.add_argument(
        "--inter-op-threads",
        type=int,
        default=0,
        help="Inter-op threads (0 = the backend's default).",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="Timed runs per configuration (the median is reported).",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="Seed of the random weights."
    )
    parser.add_argument(
        "--clock",
        default="wall",
        choices=["wall", "cpu"],
        help="Time with the wall clock, or with this process's CPU time "
        "(use with --intra-op-threads 1 --inter-op-threads 1 for a "
        "per-core ratio that other jobs on the machine do not disturb).",
    )
    return parser


def repo_on_path():
    """Make the checkout importable when a benchmark runs as a script."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)
