"""`keras-elmo`: the command line. Parsing only; each command calls the API.

Each command lives in its own module exposing `add_parser(subparsers)`
(which sets `func` to the module's `run(args)`). Command modules import
TensorFlow only inside `run`, so `--help` and argument errors are instant,
and the log settings below are in place before TensorFlow loads.
"""

import argparse
import contextlib
import importlib
import json
import os
import sys
import tempfile
import warnings

from keras_elmo.utils.backend import UnsupportedBackendError
from keras_elmo.utils.backend import install_command
from keras_elmo.utils.backend import tensorflow_installed
from keras_elmo.version import __version__

COMMAND_MODULES = (
    "keras_elmo.cli.embed_command",
    "keras_elmo.cli.embed_corpus_command",
    "keras_elmo.cli.tokenize_command",
    "keras_elmo.cli.build_vocab_command",
    "keras_elmo.cli.train_command",
    "keras_elmo.cli.perplexity_command",
    "keras_elmo.cli.export_hdf5_command",
    "keras_elmo.cli.export_command",
    "keras_elmo.cli.convert_command",
    "keras_elmo.cli.warm_state_command",
    "keras_elmo.cli.presets_command",
)


VERBOSE_HELP = (
    "show TensorFlow's start-up logs, every warning, and the traceback of "
    "an error"
)


def build_parser():
    """The argument parser with every available command."""
    parser = argparse.ArgumentParser(
        prog="keras-elmo",
        description="ELMo contextual word vectors with Keras: embed text, "
        "train and export biLMs.",
    )
    parser.add_argument(
        "--version", action="version", version=f"keras-elmo {__version__}"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=VERBOSE_HELP,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue  # command not part of this build
        module.add_parser(subparsers)
    for command in subparsers.choices.values():
        # Also after the command (`keras-elmo embed -v ...`); SUPPRESS keeps
        # a `-v` given before the command.
        command.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help=VERBOSE_HELP,
        )
    return parser


# Warnings every run would print and that need no action from the user.
KNOWN_HARMLESS_WARNINGS = (
    # `train` feeds a tf.data pipeline that shuffles by itself.
    (UserWarning, r"`shuffle=True` was passed, but will be ignored"),
)

# Commands whose code never imports TensorFlow.
TENSORFLOW_FREE_COMMANDS = ("build-vocab",)

# Bad input: one clear line naming the file, line, argument or variable,
# not a stack trace (`-v` keeps the trace). OSError covers missing,
# existing and unwritable paths (PermissionError) and unreadable files;
# UnsupportedBackendError a TensorFlow-only feature asked of another
# backend, or where TensorFlow is not installed.
USER_ERRORS = (ValueError, TypeError, OSError, UnsupportedBackendError)


def keras_backend():
    """The backend Keras runs, or will run once imported, in this process.

    Read as Keras reads it, without importing Keras (which imports the
    backend): `KERAS_BACKEND`, else the `backend` of `keras.json` in
    `KERAS_HOME` (default `~/.keras`), else `"tensorflow"`.

    Returns:
        str, e.g. `"jax"`.

    Example:

    >>> keras_backend()  # with KERAS_BACKEND=jax
    'jax'
    """
    if "keras" in sys.modules:
        return sys.modules["keras"].config.backend()
    backend = os.environ.get("KERAS_BACKEND")
    if backend:
        return backend
    home = os.environ.get("KERAS_HOME")
    if not home:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp"  # as Keras
        home = os.path.join(base, ".keras")
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as file:
            config = json.load(file)
    except (OSError, ValueError):
        return "tensorflow"
    backend = config.get("backend") if isinstance(config, dict) else None
    return backend if isinstance(backend, str) else "tensorflow"


def check_backend_installed(backend):
    """Raise one line where Keras would run TensorFlow but it is absent.

    Keras runs TensorFlow unless told otherwise; a JAX or PyTorch install
    without TensorFlow that forgot `KERAS_BACKEND` would otherwise end in
    `No module named 'tensorflow'` from inside Keras.

    Args:
        backend: str. The backend Keras will run (`keras_backend()`).

    Raises:
        UnsupportedBackendError: TensorFlow is the backend and not
            installed.

    Example:

    >>> check_backend_installed("jax")
    """
    if backend == "tensorflow" and not tensorflow_installed():
        raise UnsupportedBackendError(
            "Keras runs the TensorFlow backend (its default), but TensorFlow "
            "is not installed: set KERAS_BACKEND=jax or KERAS_BACKEND=torch "
            f"(whichever is installed), or `{install_command()}`."
        )


def quiet():
    """Hide TensorFlow's C++ logs and the known harmless warnings.

    Must run before TensorFlow is imported (the C++ log level is read
    then). A `TF_CPP_MIN_LOG_LEVEL` set by the user wins.

    Example:

    >>> quiet()
    """
    # 3: no INFO, WARNING or ERROR lines (e.g. "failed call to cuInit" on
    # machines without a GPU); real failures still raise Python errors.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for category, message in KNOWN_HARMLESS_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)


@contextlib.contextmanager
def _stderr_captured():
    # At the file-descriptor level: the logs come from C++, not sys.stderr.
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.buffer.write(log.read())  # a failure shows them all
            sys.stderr.flush()
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow_quietly(start_devices=True):
    """Import TensorFlow and start its devices without their start-up logs.

    TensorFlow 2.21 logs through absl before absl's log is initialised,
    and those lines (oneDNN, CPU features, "failed call to cuInit" without
    a GPU) ignore `TF_CPP_MIN_LOG_LEVEL`; so stderr is captured while
    TensorFlow starts, and shown only if starting fails.

    Args:
        start_devices: bool. Also start the devices. `False` for the
            multi-worker and TPU strategies, which must configure the
            runtime (collective ops) before it starts. Defaults to `True`.

    Example:

    >>> import_tensorflow_quietly()
    """
    with _stderr_captured():
        import tensorflow as tf

        if start_devices:
            tf.config.list_logical_devices()  # device start-up (cuInit) logs


def main(argv=None):
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        if args.command not in TENSORFLOW_FREE_COMMANDS:
            backend = keras_backend()
            check_backend_installed(backend)
        if not args.verbose:
            quiet()
            # Only where Keras runs TensorFlow: a JAX or PyTorch process
            # imports it only for a TensorFlow-only feature.
            if (
                args.command not in TENSORFLOW_FREE_COMMANDS
                and backend == "tensorflow"
            ):
                # A multi-worker or TPU strategy configures the runtime
                # first.
                strategy = getattr(args, "strategy", "default")
                import_tensorflow_quietly(
                    start_devices=strategy not in ("multi_worker", "tpu")
                )
        return args.func(args) or 0
    except USER_ERRORS as error:
        if args.verbose:
            raise  # the whole traceback, for those who asked
        print(f"keras-elmo {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
