"""benchmarks/accelerator_check.py: its stored reference, its synthetic
batches, its time budget, and a `--smoke` run on the suite's backend."""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks import accelerator_check as check  # noqa: E402
from benchmarks.accelerator_reference import SENTENCES  # noqa: E402
from benchmarks.accelerator_reference import compute_reference  # noqa: E402
from benchmarks.accelerator_reference import differences  # noqa: E402
from benchmarks.accelerator_reference import is_same  # noqa: E402
from benchmarks.accelerator_reference import model_outputs  # noqa: E402
from benchmarks.accelerator_reference import read_reference  # noqa: E402
from benchmarks.common import corpus_sentences  # noqa: E402
from benchmarks.training import make_vocabulary  # noqa: E402

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


def test_stored_reference_is_what_the_cpu_computes_today():
    # Eager here (1 s); the stored file was made compiled: they agree to
    # 1e-6, far inside the regeneration tolerance.
    computed = compute_reference(compiled=False)
    stored = read_reference()
    diff = differences(stored, computed)
    assert is_same(diff), (
        f"benchmarks/accelerator_reference.npz is stale ({diff}): run "
        "`python benchmarks/accelerator_reference.py`"
    )
    # Every sentence, with <S> and </S>, unpadded up to its length.
    lengths = [len(s) + 2 for s in SENTENCES]
    np.testing.assert_array_equal(stored["mask"].sum(axis=1), lengths)


def test_differences_see_a_changed_output_shape_or_mask():
    stored = read_reference()
    changed = {k: v.copy() for k, v in stored.items()}
    assert is_same(differences(stored, changed))
    changed["layers"][0, 2, 1, 3] += 1e-3
    assert differences(stored, changed)["layers"] == pytest.approx(
        1e-3, rel=1e-3
    )
    assert not is_same(differences(stored, changed))
    changed["mask"][3, -1] = True
    assert differences(stored, changed)["mask"] == 1
    changed["token_embeddings"] = changed["token_embeddings"][:2]
    assert differences(stored, changed)["token_embeddings"] == float("inf")


def _token(character_ids):
    """The token a row of model character ids spells (markers by name)."""
    raw = [int(c) - 1 for c in character_ids]  # without the +1 offset
    if raw[1] == 256:
        return "<S>"
    if raw[1] == 257:
        return "</S>"
    return bytes(raw[1 : raw.index(259)]).decode("utf-8", "ignore")


def test_pretraining_batches_follow_the_stream_of_sentences():
    settings = check.Settings(smoke=True, platform_name="cpu")
    vocabulary = make_vocabulary(corpus_sentences(), 100_000)  # every word
    batch_size, steps = 3, settings.unroll_steps
    (x, y), second = check.lm_batches(settings, vocabulary, batch_size, 2)
    ids = x["character_ids"]
    assert ids.shape == (batch_size, steps, 50)
    assert y["next_token_ids"].shape == (batch_size, steps)
    assert not np.array_equal(ids, second[0]["character_ids"])
    # Rows continue each other: one stream of tokens.
    tokens = [
        _token(ids[r, t]) for r in range(batch_size) for t in range(steps)
    ]
    nexts = y["next_token_ids"].ravel()
    previous = y["previous_token_ids"].ravel()
    for i, token in enumerate(tokens):
        # Nothing follows </S> and nothing precedes <S>.
        assert (nexts[i] == -1) == (token == "</S>")
        assert (previous[i] == -1) == (token == "<S>")
        if i + 1 < len(tokens) and nexts[i] >= 0:
            assert vocabulary[nexts[i]].startswith(tokens[i + 1])
        if i > 0 and previous[i] >= 0:
            assert vocabulary[previous[i]].startswith(tokens[i - 1])


def test_a_bigger_batch_is_estimated_from_the_last_one():
    settings = check.Settings(smoke=False, platform_name="gpu")
    previous = {"batch_size": 32, "warmup_s": 5.0, "seconds_median": 1.0}
    # 4 s of compile, then runs of 4 s: the warm-up and 2 timed runs.
    assert check.estimate_seconds(previous, 4.0, settings) == 16.0
    # Fast runs: as many as 2 s of measurement takes, at most 50.
    previous["seconds_median"] = 0.001
    assert check.estimate_seconds(previous, 1.0, settings) == pytest.approx(
        4.999 + 0.001 * 51
    )


def test_timed_runs_keep_to_the_measure_time_and_the_deadline():
    calls = []
    warmup, seconds = check.timed_runs(
        lambda: calls.append(1), 0.0, 2, 50, time.perf_counter() + 60
    )
    assert len(calls) == 3 and len(seconds) == 2 and warmup >= 0
    calls.clear()
    # Past the deadline: one timed run after the warm-up, whatever the rest.
    _, seconds = check.timed_runs(lambda: calls.append(1), 10.0, 5, 50, 0.0)
    assert len(calls) == 2 and len(seconds) == 1


def test_memory_on_a_cpu_is_the_process_peak_rss():
    record = check.Memory("cpu").record()
    assert record["peak_memory_kind"] == "host peak RSS"
    assert record["peak_memory_scope"] == "process"
    assert record["peak_memory_mb"] > 10


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--output", "."], "--output is a directory"),
        (["--output", "no/such/dir/r.jsonl"], "directory does not exist"),
        (["--budget", "0"], "--budget must be positive"),
    ],
)
def test_bad_arguments_stop_before_any_work(argv, message, capsys):
    with pytest.raises(SystemExit):
        check.parse_args(argv)
    assert message in capsys.readouterr().err


def read_lines(text):
    return [json.loads(line) for line in text.splitlines() if line[:1] == "{"]


def assert_complete_smoke_run(records):
    """Every kind of line, parity passed, no section failed."""
    kinds = {r["check"] for r in records}
    assert KINDS <= kinds, KINDS - kinds
    errors = [r for r in records if "error" in r]
    assert not errors, errors
    parity = [r for r in records if r["check"] == "parity"]
    assert {r["dtype"] for r in parity} == {"float32", "bfloat16"}
    assert all(r["passed"] for r in parity), parity
    summary = records[-1]
    assert summary["check"] == "summary" and summary["parity_passed"]
    for record in records:
        if record["check"] in ("embedding", "pretraining"):
            assert "skipped" in record or record["tokens_per_s"] > 0
    pretraining = [r for r in records if r["check"] == "pretraining"]
    assert {r["dtype"] for r in pretraining} == {"float32", "bfloat16"}
    assert all(r["losses_finite"] and r["mfu"] > 0 for r in pretraining)


@pytest.mark.large
def test_smoke_run_on_the_suite_backend(tmp_path):
    output = tmp_path / "check.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/accelerator_check.py",
            "--smoke",
            "--output",
            str(output),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    records = read_lines(result.stdout)
    assert_complete_smoke_run(records)
    assert read_lines(output.read_text()) == records


def test_table_rows_of_a_run():
    device = {"check": "device", "name": "NVIDIA H100 80GB HBM3"}
    device.update(platform="gpu", count=1, host_cores=16, mode="full")
    device.update(date="2026-12-08 10:00 UTC", backend="jax")
    measured = {
        "check": "pretraining",
        "model": "elmo_original_en (random weights)",
        "dtype": "bfloat16",
        "batch_size": 128,
        "unroll_steps": 20,
        "tokens_per_s": 123456.7,
        "mfu": 0.41234,
        "matmul_tflop_per_s": 701.23,
        "peak_memory_mb": 20480.0,
        "peak_memory_kind": "device peak",
    }
    skipped = {"check": "embedding", "model": "elmo_tiny_en"}
    skipped.update(dtype="float32", batch_size=512, skipped="time budget")
    skipped["estimated_s"] = 24.4
    matmul = {"check": "matmul", "dtype": "float32"}
    rows = check.table_rows([device, matmul, measured, skipped])
    assert rows == [
        "| NVIDIA H100 80GB HBM3, 2026-12-08 | jax | pretraining | "
        "elmo_original_en (random weights) | bfloat16 | 128 x 20 | 123,457 "
        "| 0.412 | 701 | 20,480 MiB (device) |",
        "| NVIDIA H100 80GB HBM3, 2026-12-08 | jax | embedding | "
        "elmo_tiny_en | float32 | 512 | skipped (time budget, est. 24 s) "
        "|  |  |  |",
    ]


def test_the_pretraining_batch_is_halved_until_three_steps_fit():
    settings = check.Settings(smoke=False, platform_name="cpu")
    row = 13.3e9  # FLOPs of one row of the original size's step
    # A GPU at 400 TFLOP/s: batch 128 steps in 14 ms at MFU 0.3.
    assert check.pretraining_batch_size(settings, row, 400e12, 60.0) == 128
    # A CPU at 35 GFLOP/s, 50 s left: steps of 10 s at batch 8.
    assert check.pretraining_batch_size(settings, row, 35e9, 50.0) == 8
    # 3 steps in half of 50 s at 200 GFLOP/s: batch 32 (7.1 s a step).
    assert check.pretraining_batch_size(settings, row, 200e9, 50.0) == 32


def test_parity_fails_for_a_wrong_forget_bias(monkeypatch):
    from keras_elmo.models.elmo import ELMo

    from_preset = ELMo.from_preset
    monkeypatch.setattr(
        ELMo,
        "from_preset",
        lambda *args, **kwargs: from_preset(*args, forget_bias=0.0, **kwargs),
    )
    # Eager (1 s): the compiled forward is the smoke run's.
    monkeypatch.setattr(
        check,
        "model_outputs",
        lambda model, ids: model_outputs(model, ids, compiled=False),
    )
    record = check.check_parity("float32")
    assert not record["passed"] and record["mask_equal"]
    assert record["max_abs_error"] > 0.2 > record["tolerance"]
