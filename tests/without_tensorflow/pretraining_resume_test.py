"""`keras-elmo train` on JAX and PyTorch without TensorFlow: kill -9, resume.

The same command, killed with SIGKILL after a checkpoint and run again,
ends with exactly the weights, optimizer state, random-seed state, step
and data position of an uninterrupted run, and its TensorBoard curve goes
on from the saved step.
"""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from tests.python_subprocess import REPO_ROOT
from tests.training.training_fixtures import TINY_OPTIONS
from tests.without_tensorflow.tensorflow_blocker import PREAMBLE
from tests.without_tensorflow.training_tensorboard_test import read_scalars

TIMEOUT_SECONDS = 600
STEPS = 20
CHECKPOINT_EVERY = 5
# `keras-elmo ...` in an interpreter where TensorFlow cannot be imported.
CLI = PREAMBLE + (
    "from keras_elmo.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
)


def cli_command(*arguments):
    return [sys.executable, "-c", CLI, *map(str, arguments)]


def train_arguments(corpus, options_file, run_dir, steps=STEPS, extra=()):
    data, vocabulary = corpus / "data.txt", corpus / "vocab.txt"
    return [
        "train",
        "--train",
        data,
        "--validation",
        data,
        "--vocabulary",
        vocabulary,
        "--options",
        options_file,
        "--output-dir",
        run_dir,
        "--steps",
        steps,
        "--checkpoint-every",
        CHECKPOINT_EVERY,
        "--log-every",
        CHECKPOINT_EVERY,
        "--batch-size",
        2,
        "--unroll-steps",
        10,
        "--negative-samples",
        16,
        "--dropout",
        0.1,
        *extra,
    ]


def environment(backend):
    return {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": str(REPO_ROOT),
    }


def run_cli(arguments, backend):
    result = subprocess.run(
        cli_command(*arguments),
        cwd=REPO_ROOT,
        env=environment(backend),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


@pytest.fixture
def corpus(tmp_path):
    """The generated corpus (data.txt, vocab.txt) and a tiny options.json."""
    import shutil

    from tests.fixtures.generated import generated_corpus_dir

    directory = tmp_path / "corpus"
    shutil.copytree(generated_corpus_dir(), directory)
    with open(directory / "options.json", "w") as f:
        json.dump(TINY_OPTIONS, f)
    return directory


def _wait_for(path, process):
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not os.path.exists(path):
        if process.poll() is not None:
            raise AssertionError(
                f"training exited ({process.returncode}) before {path} appeared"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear")
        time.sleep(0.02)


def _arrays(path):
    with np.load(path) as saved:
        return {name: saved[name] for name in saved.files}


def _hdf5_arrays(path):
    arrays = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, item: (
                arrays.__setitem__(name, item[()])
                if isinstance(item, h5py.Dataset)
                else None
            )
        )
    return arrays


@pytest.mark.large
@pytest.mark.parametrize(
    "tensorflow_free_backend", ["jax", "torch"], indirect=True
)
def test_sigkill_and_resume_equal_an_uninterrupted_run(
    tmp_path, corpus, tensorflow_free_backend
):
    backend = tensorflow_free_backend
    options_file = corpus / "options.json"

    # 1. An uninterrupted run.
    whole = tmp_path / "whole"
    run_cli(train_arguments(corpus, options_file, whole), backend)

    # 2. The same run, killed with SIGKILL once a checkpoint exists.
    run_dir = tmp_path / "run"
    arguments = train_arguments(corpus, options_file, run_dir)
    checkpoints = run_dir / "checkpoints"
    with open(tmp_path / "first.log", "w") as log:
        first = subprocess.Popen(
            cli_command(*arguments),
            cwd=REPO_ROOT,
            env=environment(backend),
            stdout=log,
            stderr=log,
        )
        try:
            _wait_for(checkpoints / f"ckpt-{CHECKPOINT_EVERY}", first)
            first.send_signal(signal.SIGKILL)
        finally:
            if first.poll() is None:
                first.kill()
            first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL
    assert not (run_dir / "export").exists()
    saved_step = max(
        int(name.split("-")[1])
        for name in os.listdir(checkpoints)
        if name.startswith("ckpt-")
    )
    assert CHECKPOINT_EVERY <= saved_step < STEPS

    # 3. The same command again resumes from the saved step.
    second = run_cli(arguments, backend)
    latest = os.path.join(str(checkpoints), f"ckpt-{saved_step}")
    assert f"Resuming from {latest} at step {saved_step}." in second.stdout
    assert "Changed since the run started" not in second.stdout
    assert f"Trained to step {STEPS}" in second.stdout

    # 4. Exactly the uninterrupted run's state: every weight, optimizer
    # variable and seed, the data position, and the exported weights.
    final = f"ckpt-{STEPS}"
    expected = _arrays(whole / "checkpoints" / final / "variables.npz")
    got = _arrays(checkpoints / final / "variables.npz")
    assert sorted(got) == sorted(expected)
    assert any(name.startswith("random/") for name in got)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    for directory in (whole, run_dir):
        with open(
            directory / "checkpoints" / final / "data_position.json"
        ) as f:
            position = json.load(f)
        if directory == whole:
            expected_position = position
    assert position == expected_position
    assert position["batches"] == STEPS
    expected_export = _hdf5_arrays(whole / "export" / "weights.hdf5")
    got_export = _hdf5_arrays(run_dir / "export" / "weights.hdf5")
    assert sorted(got_export) == sorted(expected_export)
    for name in expected_export:
        np.testing.assert_array_equal(got_export[name], expected_export[name])

    # 5. `export-hdf5` reads these checkpoints: the final one is the export.
    exported = tmp_path / "exported"
    run_cli(["export-hdf5", run_dir, exported], backend)
    again = _hdf5_arrays(exported / "weights.hdf5")
    for name in expected_export:
        np.testing.assert_array_equal(again[name], expected_export[name])

    # 6. TensorBoard (no TensorFlow): the resumed run's event file goes on
    # from the saved step, with the uninterrupted run's values.
    events = sorted(
        glob.glob(str(run_dir / "logs" / "train" / "events.*")),
        key=os.path.getmtime,
    )
    assert len(events) == 2
    scratch = tmp_path / "second_events"
    scratch.mkdir()
    os.link(events[-1], scratch / os.path.basename(events[-1]))
    resumed = read_scalars(scratch)["loss"]
    assert [step for step, _ in resumed] == list(
        range(saved_step + CHECKPOINT_EVERY, STEPS + 1, CHECKPOINT_EVERY)
    )
    uninterrupted = dict(read_scalars(whole / "logs" / "train")["loss"])
    for step, value in resumed:
        assert value == pytest.approx(uninterrupted[step], rel=1e-6)
    validation = read_scalars(run_dir / "logs" / "validation")["perplexity"]
    assert [step for step, _ in validation][-1] == STEPS
