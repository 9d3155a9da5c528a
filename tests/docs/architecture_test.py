"""docs/figures/architecture.py draws the architecture figure."""

import importlib.util

import pytest

from tests.test_case import REPO_ROOT

SCRIPT = REPO_ROOT / "docs" / "figures" / "architecture.py"


def test_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib", reason="the `docs` extra draws figures")
    spec = importlib.util.spec_from_file_location("architecture", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    output = tmp_path / "architecture.png"
    module.main(["--output", str(output)])
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        (REPO_ROOT / "docs" / "index.md")
        .read_text()
        .count("figures/architecture.png")
    )
