"""The command line as a user meets it: fast help, quiet output."""

import os
import subprocess
import sys
import time

import pytest

from keras_elmo.cli.main import KNOWN_HARMLESS_WARNINGS
from keras_elmo.cli.main import main
from tests.fixtures.make_tiny_elmo import write_tiny_elmo

REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))

# Runs the CLI, then reports whether TensorFlow was ever imported.
_WRAPPER = """
import sys
from keras_elmo.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("TENSORFLOW_IMPORTED" if "tensorflow" in sys.modules else "NO_TF")
sys.exit(code)
"""


def _run(args, env=None):
    environment = {k: v for k, v in os.environ.items() if "TF_CPP" not in k}
    environment.update(env or {})
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
        timeout=600,
    )
    return result, time.monotonic() - start


@pytest.mark.parametrize(
    "args, code",
    [
        (["--help"], 0),
        (["embed", "--help"], 0),
        (["export", "--help"], 0),
        (
            [
                "embed",
                "in.txt",
                "out.hdf5",
                "--model",
                "m",
                "--chunk-size",
                "0",
            ],
            2,
        ),
        (["perplexity", "run", "x.txt", "--batch-size", "0"], 2),
        (["embed"], 2),
    ],
)
def test_help_and_argument_errors_do_not_import_tensorflow(args, code):
    result, seconds = _run(args)
    assert result.returncode == code, result.stderr
    assert "NO_TF" in result.stdout
    # Loose: importing TensorFlow alone takes several seconds here.
    assert seconds < 30


def test_module_entry_point_help(tmp_path):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "keras_elmo.cli.main", "-h"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0
    assert "usage: keras-elmo" in result.stdout
    imported = [
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
    ]
    assert "tensorflow" not in imported and "keras" not in imported


def test_perplexity_batch_size_zero_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["perplexity", "run", "x.txt", "--batch-size", "0"])
    assert exit_info.value.code == 2
    assert "--batch-size: must be a positive integer" in capsys.readouterr().err


@pytest.fixture(scope="module")
def embed_args(tmp_path_factory):
    directory = tmp_path_factory.mktemp("quiet")
    options_file, weight_file = write_tiny_elmo(directory, seed=4)
    text = directory / "in.txt"
    text.write_text("a b\n", encoding="utf-8")
    return [
        "embed",
        str(text),
        str(directory / "out.hdf5"),
        "--options",
        str(options_file),
        "--weights",
        str(weight_file),
        "--no-progress",
    ]


@pytest.mark.large
def test_quiet_by_default_and_verbose_with_v(embed_args):
    quiet, _ = _run(embed_args)
    assert quiet.returncode == 0, quiet.stderr
    # No TensorFlow C++ log lines (I0000 ..., E0000 ... cuInit) or absl
    # preamble; the command's own output only.
    assert quiet.stderr == ""
    loud, _ = _run(["-v", *embed_args])
    assert loud.returncode == 0, loud.stderr
    assert "I0000" in loud.stderr or "E0000" in loud.stderr


def test_harmless_warning_filter_is_precise(monkeypatch):
    # Only the listed messages are hidden, not a whole category.
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from keras_elmo.cli.main import quiet

        monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")  # restored after
        quiet()
        warnings.warn(
            "`shuffle=True` was passed, but will be ignored since",
            UserWarning,
            stacklevel=1,
        )
        warnings.warn("something else", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something else"]
    assert all(
        category is UserWarning for category, _ in KNOWN_HARMLESS_WARNINGS
    )


def test_verbose_keeps_the_traceback_of_a_user_error(tmp_path, capsys):
    text = tmp_path / "x.txt"
    text.write_text("a b\n")
    argv = ["build-vocab", str(text), "--output", str(text)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    with pytest.raises(ValueError, match="output file is the input"):
        main(["-v", *argv])
    with pytest.raises(ValueError, match="output file is the input"):
        main([*argv, "-v"])


def test_keras_backend_is_read_as_keras_reads_it(monkeypatch, tmp_path):
    from keras_elmo.cli import main as cli_main

    monkeypatch.delitem(sys.modules, "keras")  # as before Keras loads
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert cli_main.keras_backend() == "tensorflow"  # Keras's default
    (tmp_path / "keras.json").write_text('{"backend": "torch"}')
    assert cli_main.keras_backend() == "torch"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert cli_main.keras_backend() == "jax"


def test_default_backend_without_tensorflow_is_one_line(monkeypatch, capsys):
    from keras_elmo.cli import main as cli_main

    monkeypatch.setattr(cli_main, "keras_backend", lambda: "tensorflow")
    monkeypatch.setattr(cli_main, "tensorflow_installed", lambda: False)
    assert main(["embed", "in.txt", "out.hdf5", "--model", "m"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "KERAS_BACKEND=jax" in err
    assert 'pip install "keras-elmo[tensorflow]"' in err
    cli_main.check_backend_installed("jax")  # not TensorFlow: no check
