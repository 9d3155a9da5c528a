"""Every python and shell block of the docs runs, page by page.

One test per page runs its blocks in order (see `tests/docs/markdown_blocks`)
in a scratch directory laid out as a user's clone: `saved_models/` holds a
copy of each shipped model (so that what the docs write there stays in the
scratch directory), `tools/`, `experiments/`, `examples/` and `benchmarks/`
link to the repository's. The repository's `keras_elmo` comes first on
`PYTHONPATH`.
Blocks marked `> Not run in CI: <reason>.` are reported as skipped tests,
after a syntax check. A page with a block marked `> Long: <reason>.` is a
`large` test (run by `python -m pytest --run-large`, as CI does); a block
that used more than `LONG_BLOCK_SECONDS` of CPU time without that mark
fails its page.
Every opening fence of every page names its language.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.markdown_blocks import BLOCK_MARKER
from tests.docs.markdown_blocks import LONG_BLOCK_SECONDS
from tests.docs.markdown_blocks import check_syntax
from tests.docs.markdown_blocks import doc_pages
from tests.docs.markdown_blocks import read_blocks
from tests.docs.markdown_blocks import unlabelled_fences
from tests.test_case import REPO_ROOT

PAGES = doc_pages(REPO_ROOT)
SKIPPED_BLOCKS = [
    block
    for page in PAGES
    for block in read_blocks(REPO_ROOT, page)
    if block.skip_reason
]
LONG_PAGES = {
    page
    for page in PAGES
    for block in read_blocks(REPO_ROOT, page)
    if block.long_reason and not block.skip_reason
}
PAGE_PARAMS = [
    pytest.param(page, marks=pytest.mark.large) if page in LONG_PAGES else page
    for page in PAGES
]
LINKED = ("tools", "experiments", "examples", "benchmarks")
PAGE_TIMEOUT = 900


def _copy_file(source, destination):
    # Hard links: the shipped weights are not copied for every page; the
    # docs only ever add files to a model directory, or replace them
    # atomically (which breaks the link, not the original).
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def make_scratch(directory):
    """Lay out `directory` like a user's clone (see the module docstring)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        if (REPO_ROOT / name).is_dir():
            (directory / name).symlink_to(REPO_ROOT / name)
    models = directory / "saved_models"
    models.mkdir()
    for model in sorted((REPO_ROOT / "saved_models").iterdir()):
        if model.is_dir():
            shutil.copytree(
                model, models / model.name, copy_function=_copy_file
            )
    return directory


def _environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    env.update(
        TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", MPLBACKEND="Agg"
    )
    return env


def block_output(stream, line):
    """The part of a `##BLOCK`-marked output written by block `line`."""
    parts = re.split(rf"^{BLOCK_MARKER} (\d+)\n", stream, flags=re.M)
    # parts: [before, line1, text1, line2, text2, ...]
    for number, text in zip(parts[1::2], parts[2::2]):
        if int(number) == line:
            return text
    return ""


def slow_unmarked_blocks(page, results):
    """`"page:line (N CPU-s)"` of the blocks that used more than
    `LONG_BLOCK_SECONDS` of CPU time without a `> Long:` note."""
    long = {b.line for b in read_blocks(REPO_ROOT, page) if b.long_reason}
    return [
        f"{page}:{r['line']} ({r['cpu_seconds']:.0f} CPU-s)"
        for r in results
        if r.get("cpu_seconds", 0) > LONG_BLOCK_SECONDS
        and r["line"] not in long
    ]


def test_slow_unmarked_blocks_are_named():
    page = "docs/korean.md"
    blocks = read_blocks(REPO_ROOT, page)
    long_line = next(b.line for b in blocks if b.long_reason)
    results = [
        {"line": long_line, "cpu_seconds": 500.0},
        {"line": 1, "cpu_seconds": LONG_BLOCK_SECONDS + 1.0},
        {"line": 2, "cpu_seconds": 5.0},
    ]
    assert slow_unmarked_blocks(page, results) == [
        "docs/korean.md:1 (121 CPU-s)"
    ]


def test_every_fence_names_its_language():
    bare = [
        where
        for page in PAGES
        for where in unlabelled_fences(
            (REPO_ROOT / page).read_text(encoding="utf-8"), page
        )
    ]
    assert not bare, (
        "These code fences name no language, so the docs test neither runs "
        "nor skips them: write ```bash or ```python (with '> Not run in "
        f"CI: <reason>.' if it must not run) or ```text: {bare}"
    )


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_page_blocks_run(page, tmp_path):
    if not any(not b.skip_reason for b in read_blocks(REPO_ROOT, page)):
        pytest.skip(f"{page} has no block run in CI")
    scratch = make_scratch(tmp_path / "clone")
    results_file = tmp_path / "results.json"
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.docs.markdown_blocks",
            str(REPO_ROOT),
            page,
            str(scratch),
            str(results_file),
        ],
        capture_output=True,
        text=True,
        env=_environment(),
        cwd=scratch,
        timeout=PAGE_TIMEOUT,
    )
    if not results_file.is_file():
        pytest.fail(
            f"The runner of {page} crashed (status {process.returncode}):\n"
            f"{process.stderr[-4000:]}"
        )
    results = json.loads(results_file.read_text())
    failed = [r for r in results if r["status"] == "failed"]
    if failed:
        line = failed[0]["line"]
        block = next(b for b in read_blocks(REPO_ROOT, page) if b.line == line)
        pytest.fail(
            f"{page}:{line}: the {block.language} block failed.\n"
            f"--- block ---\n{block.code}"
            f"--- its stdout (tail) ---\n"
            f"{block_output(process.stdout, line)[-2000:]}\n"
            f"--- its stderr (tail) ---\n"
            f"{block_output(process.stderr, line)[-6000:]}"
        )
    assert process.returncode == 0, process.stderr[-4000:]
    slow = slow_unmarked_blocks(page, results)
    assert not slow, (
        f"Blocks over {LONG_BLOCK_SECONDS} CPU-s without a '> Long: <reason>.' "
        f"note (the README's test command must stay quick): {slow}"
    )


@pytest.mark.parametrize(
    "block", SKIPPED_BLOCKS, ids=[b.where for b in SKIPPED_BLOCKS]
)
def test_block_not_run_in_ci(block):
    # A block that is not run must still be valid code.
    check_syntax(block)
    pytest.skip(f"{block.where}: {block.skip_reason}")
