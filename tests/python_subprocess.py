"""Run a snippet of Python in a fresh interpreter, for tests of imports,
installs and process-level behaviour that the test process cannot show."""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_python(code, cwd=REPO_ROOT, env=None, timeout=300):
    """`python -c code` in a fresh process; fails the test if it fails.

    Args:
        code: str. The program.
        cwd: path. Working directory. Defaults to the repository root.
        env: dict or `None`. Variables added to the current environment.
        timeout: float. Seconds. Defaults to `300`.

    Returns:
        The completed process (`stdout`, `stderr` as text).

    Example:

    >>> run_python("print(1)").stdout
    '1\\n'
    """
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result
