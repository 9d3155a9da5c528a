"""`benchmarks/accelerator_check.py --smoke` on JAX, TensorFlow unimportable.

The check must run on a stock JAX or PyTorch image with only Keras and
keras_elmo added: here TensorFlow and TensorBoard are made unimportable in
the check's process (whether or not they are installed), and the run must
still print every kind of line, pass parity in float32 and bfloat16, and
train in both.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Every kind of line a run prints.
KINDS = {
    "device",
    "parity",
    "section",
    "matmul",
    "embedding",
    "pretraining",
    "memory",
    "summary",
}
# Runs the check as `python benchmarks/accelerator_check.py ...` would,
# with TensorFlow and TensorBoard refused at import.
RUN_WITHOUT_TENSORFLOW = """
import importlib.abc
import runpy
import sys

BLOCKED = {"tensorflow", "tensorboard", "tensorflow_text"}


class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)")


sys.meta_path.insert(0, Refuse())
sys.argv = ["benchmarks/accelerator_check.py", *sys.argv[1:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.large
def test_smoke_run_on_jax_without_tensorflow(tmp_path):
    output = tmp_path / "check.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_WITHOUT_TENSORFLOW,
            "--smoke",
            "--output",
            str(output),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    records = [json.loads(line) for line in output.read_text().splitlines()]
    kinds = {r["check"] for r in records}
    assert KINDS <= kinds, KINDS - kinds
    assert not [r for r in records if "error" in r]
    assert records[0]["backend"] == "jax"
    assert "tensorflow" not in records[0]["versions"]
    parity = {r["dtype"]: r for r in records if r["check"] == "parity"}
    assert set(parity) == {"float32", "bfloat16"}
    assert all(r["passed"] for r in parity.values()), parity
    # float32 on a CPU: the stored CPU outputs to float rounding.
    assert parity["float32"]["max_abs_error"] < 1e-4
    pretraining = [r for r in records if r["check"] == "pretraining"]
    assert {r["dtype"] for r in pretraining} == {"float32", "bfloat16"}
    assert all(r["losses_finite"] and r["mfu"] > 0 for r in pretraining)
    embedded = [
        r for r in records if r["check"] == "embedding" and "skipped" not in r
    ]
    assert {r["dtype"] for r in embedded} == {"float32", "bfloat16"}
    assert all(r["tokens_per_s"] > 0 for r in embedded)
    assert records[-1]["check"] == "summary" and records[-1]["parity_passed"]
