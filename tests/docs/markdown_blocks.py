"""The runnable code blocks of the Markdown docs, and a page runner.

Every fenced ```python and ```bash / ```sh / ```shell block of the pages
listed by `doc_pages` (README.md, docs/*.md, examples/README.md and the
model cards) is run in CI, in order per page: the python blocks of
a page share one namespace (one interpreter), the shell blocks run with
`bash -e -o pipefail`, and all of them run in one scratch working directory
per page. A block whose line right before the opening fence is

    > Not run in CI: <reason>.

is not run; the reason is reported as a pytest skip. A block that takes
more than `LONG_BLOCK_SECONDS` (120 CPU-seconds: its own and its child
processes' CPU time, which other jobs on a shared machine do not inflate
as they do wall time) is marked

    > Long: <what takes the time>.

and runs only with the large tests (`python -m pytest --run-large`; CI
does): the docs test fails on a block that ran longer unmarked. Output
shown to readers belongs in ```text blocks, which are never run. Every
opening fence names its language (```python, ```bash, ```text, ...): a
bare fence would leave a command that nobody runs (`unlabelled_fences`).

Run as a script (what `tests/docs/docs_blocks_test.py` does):

    python -m tests.docs.markdown_blocks REPO_ROOT PAGE SCRATCH_DIR RESULTS.json

runs the blocks of `REPO_ROOT/PAGE` (e.g. `docs/api.md`) in `SCRATCH_DIR`
(the current working directory of every block), stops at the first
failing block, and writes one result per block to `RESULTS.json`. Each
block's output is preceded on stdout and stderr by a `##BLOCK <line>`
marker, so that a failure can be shown with its own stderr.
"""

import dataclasses
import json
import os
import re
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

RUN_LANGUAGES = {"python": "python", "bash": "bash", "sh": "bash"}
RUN_LANGUAGES["shell"] = "bash"
SKIP_NOTE = re.compile(r"^> Not run in CI: (?P<reason>\S.*\.)\s*$")
LONG_NOTE = re.compile(r"^> Long: (?P<reason>\S.*\.)\s*$")
NOTES = {"> Not run in CI": SKIP_NOTE, "> Long": LONG_NOTE}
LONG_BLOCK_SECONDS = 120
FENCE = re.compile(r"^(?P<indent> *)(?P<ticks>`{3,}|~{3,})(?P<info>[^`]*)$")
BLOCK_MARKER = "##BLOCK"


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced code block of a page.

    Attributes:
        page: str. The page, relative to the repository root.
        line: int. 1-based line of the opening fence.
        language: str. `"python"` or `"bash"` (sh and shell run as bash).
        code: str. The block's text, indentation of the fence removed.
        skip_reason: str or `None`. The reason of a `> Not run in CI:` note.
        long_reason: str or `None`. The reason of a `> Long:` note.
    """

    page: str
    line: int
    language: str
    code: str
    skip_reason: str = None
    long_reason: str = None

    @property
    def where(self):
        return f"{self.page}:{self.line}"


def doc_pages(repo_root):
    """The pages whose blocks run: README, docs, examples, model cards.

    The model cards are `saved_models/*/README.md` (the TF Serving
    versions) and `saved_models/*/preset/README.md` (the shipped presets).

    Args:
        repo_root: str or Path. The repository root.

    Returns:
        Sorted list of paths relative to `repo_root`, as strings.

    Example:

    >>> "README.md" in doc_pages(".")
    True
    """
    root = Path(repo_root)
    pages = [root / "README.md", root / "examples" / "README.md"]
    pages += sorted((root / "docs").glob("*.md"))
    pages += sorted((root / "saved_models").glob("*/README.md"))
    pages += sorted((root / "saved_models").glob("*/preset/README.md"))
    return [str(p.relative_to(root)) for p in pages if p.is_file()]


def extract_blocks(text, page="<page>"):
    """Every runnable fenced block of a Markdown text, in order.

    Args:
        text: str. The Markdown source.
        page: str. Name used in `Block.page` and in errors.

    Returns:
        A list of `Block`s (python and shell blocks only).

    Raises:
        ValueError: on an unclosed fence, or a `Not run in CI` or `Long`
            note that is not right before a runnable block or lacks its
            reason.

    Example:

    >>> blocks = extract_blocks("```python\\nx = 1\\n```\\n")
    >>> blocks[0].code, blocks[0].line
    ('x = 1\\n', 1)
    """
    lines = text.split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        line = lines[i]
        for prefix, note_pattern in NOTES.items():
            if not line.lstrip().startswith(prefix):
                continue
            if not note_pattern.match(line.lstrip()):
                raise ValueError(
                    f"{page}:{i + 1}: write the note as "
                    f"'{prefix}: <reason>.'. Received: {line!r}"
                )
            following = FENCE.match(lines[i + 1]) if i + 1 < len(lines) else 0
            info = following and following.group("info").strip().lower()
            if not following or info not in RUN_LANGUAGES:
                raise ValueError(
                    f"{page}:{i + 1}: a '{prefix}' note must be the "
                    "line right before a ```python or ```bash block."
                )
        match = FENCE.match(line)
        if not match:
            i += 1
            continue
        indent, ticks = match.group("indent"), match.group("ticks")
        language = match.group("info").strip().lower()
        closing = re.compile(rf"^ *{re.escape(ticks[0])}{{{len(ticks)},}}\s*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if end == len(lines):
            raise ValueError(f"{page}:{i + 1}: unclosed code fence.")
        if language in RUN_LANGUAGES:
            body = [
                raw[len(indent) :] if raw.startswith(indent) else raw.lstrip()
                for raw in lines[i + 1 : end]
            ]
            before = lines[i - 1].lstrip() if i > 0 else ""
            skip, long = SKIP_NOTE.match(before), LONG_NOTE.match(before)
            blocks.append(
                Block(
                    page=page,
                    line=i + 1,
                    language=RUN_LANGUAGES[language],
                    code="\n".join(body) + "\n",
                    skip_reason=skip.group("reason") if skip else None,
                    long_reason=long.group("reason") if long else None,
                )
            )
        i = end + 1
    return blocks


def unlabelled_fences(text, page="<page>"):
    """Where a code fence opens without a language (a bare ```).

    Args:
        text: str. The Markdown source.
        page: str. Name used in the result.

    Returns:
        A list of `"page:line"` of every bare opening fence.

    Example:

    >>> unlabelled_fences("```\nls\n```\n```text\nok\n```\n", "p.md")
    ['p.md:1']
    """
    lines = text.split("\n")
    found = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        ticks = match.group("ticks")
        if not match.group("info").strip():
            found.append(f"{page}:{i + 1}")
        closing = re.compile(rf"^ *{re.escape(ticks[0])}{{{len(ticks)},}}\s*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        i = end + 1
    return found


def read_blocks(repo_root, page):
    """`extract_blocks` of `repo_root / page`."""
    text = (Path(repo_root) / page).read_text(encoding="utf-8")
    return extract_blocks(text, page)


def check_syntax(block):
    """Raise `SyntaxError` if a block does not even parse.

    Skipped blocks are checked this way, so that they stay valid code.
    """
    if block.language == "python":
        compile(block.code, block.where, "exec")
        return
    result = subprocess.run(
        ["bash", "-n"], input=block.code, capture_output=True, text=True
    )
    if result.returncode:
        raise SyntaxError(f"{block.where}: {result.stderr.strip()}")


def _cpu_seconds():
    """User + system CPU time of this process and its waited-for children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _announce(block):
    for stream in (sys.stdout, sys.stderr):
        print(f"{BLOCK_MARKER} {block.line}", file=stream, flush=True)


def run_page(repo_root, page):
    """Run the blocks of a page in the current directory, in order.

    Returns:
        A list of dicts `{"line", "language", "status", "reason",
        "seconds", "cpu_seconds"}` where status is `"ok"`, `"skipped"` or
        `"failed"`, seconds the block's wall time and cpu_seconds the CPU
        time of this process and its finished children during the block;
        the first failure ends the run (later blocks build on earlier
        ones).
    """
    namespace = {"__name__": "__main__"}
    results = []
    for block in read_blocks(repo_root, page):
        result = {"line": block.line, "language": block.language}
        if block.skip_reason:
            results.append(
                dict(result, status="skipped", reason=block.skip_reason)
            )
            continue
        _announce(block)
        start, cpu_start = time.monotonic(), _cpu_seconds()
        if block.language == "python":
            try:
                exec(compile(block.code, block.where, "exec"), namespace)
                error = None
            except BaseException:  # noqa: BLE001 - reported, not hidden
                error = traceback.format_exc()
                print(error, file=sys.stderr, flush=True)
        else:
            code = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", block.code]
            ).returncode
            error = f"bash exited with status {code}" if code else None
        results.append(
            dict(
                result,
                status="failed" if error else "ok",
                reason=error,
                seconds=round(time.monotonic() - start, 1),
                cpu_seconds=round(_cpu_seconds() - cpu_start, 1),
            )
        )
        if error:
            break
    return results


def main(argv):
    repo_root, page, scratch, results_file = argv
    os.chdir(scratch)
    results = run_page(repo_root, page)
    Path(results_file).write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
