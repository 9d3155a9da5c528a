import json
import subprocess
import sys

import pytest

from tests.docs.markdown_blocks import check_syntax
from tests.docs.markdown_blocks import doc_pages
from tests.docs.markdown_blocks import extract_blocks
from tests.docs.markdown_blocks import unlabelled_fences
from tests.test_case import REPO_ROOT

PAGE = """# Title

```python
x = 1
```

Some text.

> Not run in CI: needs a server.
```bash
curl http://localhost:8501
```

```text
output, not run
```

- a list item with a block:

  ```sh
  echo "$X" > out.txt
  ```

````python
print("```")
````
"""


def test_extract_blocks():
    blocks = extract_blocks(PAGE, "page.md")
    table = [(b.line, b.language, b.code, b.skip_reason) for b in blocks]
    assert table == [
        (3, "python", "x = 1\n", None),
        (10, "bash", "curl http://localhost:8501\n", "needs a server."),
        (20, "bash", 'echo "$X" > out.txt\n', None),
        (24, "python", 'print("```")\n', None),
    ]
    assert blocks[0].where == "page.md:3"


@pytest.mark.parametrize(
    "text, message",
    [
        ("```python\nx = 1\n", "page.md:1: unclosed code fence"),
        ("> Not run in CI: slow\n```bash\nls\n```\n", "write the note as"),
        ("> Not run in CI: slow.\n\n```bash\nls\n```\n", "right before"),
        ("> Not run in CI: slow.\n```text\nls\n```\n", "right before"),
        ("> Long: trains\n```bash\nls\n```\n", "'> Long: <reason>.'"),
        ("> Long: trains.\n\n```bash\nls\n```\n", "right before"),
    ],
)
def test_extract_blocks_errors(text, message):
    with pytest.raises(ValueError, match=message):
        extract_blocks(text, "page.md")


def test_long_note():
    blocks = extract_blocks("> Long: trains a biLM.\n```bash\nls\n```\n")
    assert blocks[0].long_reason == "trains a biLM."
    assert blocks[0].skip_reason is None


def test_unlabelled_fences():
    text = "```\nls\n```\n\n````\n```python\n````\n  ```sh\nls\n  ```\n"
    assert unlabelled_fences(text, "p.md") == ["p.md:1", "p.md:5"]
    assert unlabelled_fences(PAGE) == []


def test_check_syntax():
    good, bad = extract_blocks("```sh\nls\n```\n```sh\nif then\n```\n")
    check_syntax(good)
    with pytest.raises(SyntaxError, match="page"):
        check_syntax(extract_blocks("```python\nx = (\n```\n", "page")[0])
    with pytest.raises(SyntaxError):
        check_syntax(bad)


def test_doc_pages():
    pages = doc_pages(REPO_ROOT)
    assert "README.md" in pages
    assert "examples/README.md" in pages
    assert "saved_models/elmo_tiny_en/preset/README.md" in pages
    assert "saved_models/elmo_tiny_en/README.md" in pages
    assert all(p.endswith(".md") for p in pages)


def test_runner_shares_namespace_and_stops_at_failure(tmp_path):
    (tmp_path / "page.md").write_text(
        "```python\nx = 41\n```\n"
        "```bash\necho hi > made.txt\n```\n"
        "```python\nassert open('made.txt').read() == 'hi\\n'\nx += 1\n"
        "print(x)\n```\n"
        "> Not run in CI: a demonstration.\n```python\nraise SystemExit\n```\n"
        "```bash\nfalse\n```\n"
        "```python\nprint('never')\n```\n"
    )
    results_file = tmp_path / "results.json"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.docs.markdown_blocks",
            str(tmp_path),
            "page.md",
            str(scratch),
            str(results_file),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    results = json.loads(results_file.read_text())
    ran = [r for r in results if r["status"] != "skipped"]
    assert all(r["seconds"] >= 0 and r["cpu_seconds"] >= 0 for r in ran)
    assert [(r["line"], r["status"]) for r in results] == [
        (1, "ok"),
        (4, "ok"),
        (7, "ok"),
        (13, "skipped"),
        (16, "failed"),
    ]
    assert "42\n" in process.stdout
    assert "never" not in process.stdout
    assert (scratch / "made.txt").is_file()
