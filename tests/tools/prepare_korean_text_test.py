"""Tests of the Korean sample-text script (no download: its parsers)."""

import unicodedata

from tests.test_case import REPO_ROOT
from tools.prepare_korean_text import constitution_paragraphs
from tools.prepare_korean_text import excerpt
from tools.prepare_korean_text import udhr_paragraphs
from tools.prepare_korean_text import write_texts

CONSTITUTION = """대한민국헌법

유구한 역사와 전통에 빛나는 우리 대한국민은 개정한다.

       제1장 총강
  제1조 ① 대한민국은 민주공화국이다.
②대한민국의 주권은 국민에게 있다.
  제3조 대한민국의 영토는   한반도로 한다.
  제8조의2 정당은 보호된다.

 펼침  부칙 <헌법 제10호, 1987.10.29.>  부칙보기

제1조 이 헌법은 1988년 2월 25일부터 시행한다.
"""

UDHR = """<html><body><h1>세 계 인 권 선 언</h1><header><h2>전 문</h2>
<p>모든 인류 구성원의
 천부의 존엄성,</p></header>
<article data-number="1"><h2>제 1 조</h2>
<p>모든 인간은 자유로우며 동등하다.</p><p></p></article></body></html>"""


def test_constitution_paragraphs():
    assert constitution_paragraphs(CONSTITUTION) == [
        "유구한 역사와 전통에 빛나는 우리 대한국민은 개정한다.",
        "대한민국은 민주공화국이다.",
        "대한민국의 주권은 국민에게 있다.",
        "대한민국의 영토는 한반도로 한다.",
        "정당은 보호된다.",
    ]


def test_udhr_paragraphs_and_nfc():
    decomposed = unicodedata.normalize("NFD", UDHR)
    assert udhr_paragraphs(decomposed) == [
        "모든 인류 구성원의 천부의 존엄성,",
        "모든 인간은 자유로우며 동등하다.",
    ]


def test_excerpt_and_write(tmp_path):
    assert excerpt(["가나", "다라"], 7) == ["가나"]  # 6 bytes + newline
    assert excerpt(["가나", "다라"], 14) == ["가나", "다라"]
    sources = write_texts(
        {"a": (["가나", "다라"], "pkg 1.0")}, str(tmp_path), max_bytes=7
    )
    assert sources == ["a.txt: 1 paragraphs from pkg 1.0"]
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "가나\n"


def test_vendored_texts_are_nfc_paragraphs():
    data = REPO_ROOT / "examples" / "data" / "korean"
    for name in ("constitution.txt", "udhr.txt"):
        text = (data / name).read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text)
        assert len(text.encode("utf-8")) <= 12_000
        lines = text.splitlines()
        assert lines and all(line.strip() == line and line for line in lines)
        assert not any(
            line.startswith("제") and "조" in line[:6] for line in lines
        )
