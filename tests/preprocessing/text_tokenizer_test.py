"""Table tests of `TextTokenizer`: raw text in, tokens out."""

import json
import unicodedata

import pytest

from keras_elmo.preprocessing.text_tokenizer import TEXT_TOKENIZER_FILE
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.preprocessing.text_tokenizer import is_hangul

NFD_HANGUL = unicodedata.normalize("NFD", "한국어")  # conjoining jamo

# (input, expected tokens with the defaults: NFC, punctuation split)
DEFAULT_CASES = [
    # English.
    ("The cat sat on the mat.", ["The", "cat", "sat", "on", "the", "mat", "."]),
    ("Hello, world!", ["Hello", ",", "world", "!"]),
    ("don't stop the well-known", ["don't", "stop", "the", "well-known"]),
    ("'quoted' (3)", ["'", "quoted", "'", "(", "3", ")"]),
    ("Wait... what?!", ["Wait", "...", "what", "?", "!"]),
    ("Hello!!", ["Hello", "!!"]),
    ("pi is 3.14, not 1,000.", ["pi", "is", "3.14", ",", "not", "1,000", "."]),
    ("$5 at 12:30", ["$", "5", "at", "12:30"]),
    ("", []),
    ("   \t\n ", []),
    # Korean: eojeol stay whole, final punctuation splits.
    ("고양이가 매트에 앉았다.", ["고양이가", "매트에", "앉았다", "."]),
    ("정말요? 네!", ["정말요", "?", "네", "!"]),
    ("3·1운동과 정의·인도", ["3·1운동과", "정의", "·", "인도"]),
    ("「한국어」", ["「", "한국어", "」"]),
    ("ㅋㅋㅋ 좋다", ["ㅋㅋㅋ", "좋다"]),
    # Mixed scripts: no split by default.
    ("ELMo는 2018년에 나왔다.", ["ELMo는", "2018년에", "나왔다", "."]),
    ("韓國語를 배운다", ["韓國語를", "배운다"]),
    # Whitespace beyond ASCII, format characters.
    ("a\u00a0b\u3000c\u2003d", ["a", "b", "c", "d"]),
    ("\ufeffHello world", ["Hello", "world"]),
    ("\ufeff한국어", ["한국어"]),
    ("soft\u00adhyphen", ["softhyphen"]),
    ("a\u200bb", ["a", "b"]),  # zero width space separates
    ("a\x00b", ["a", "b"]),  # control characters separate
    ("\u200fמילה", ["מילה"]),  # bidi mark removed
    # Emoji: their own tokens, with modifiers and ZWJ sequences.
    ("좋아요😀!", ["좋아요", "😀", "!"]),
    ("👍🏽ok", ["👍🏽", "ok"]),
    ("👨\u200d👩\u200d👧 family", ["👨\u200d👩\u200d👧", "family"]),
    ("❤\ufe0f사랑", ["❤\ufe0f", "사랑"]),
    # Combining characters: composed by NFC, or kept with their base.
    ("e\u0301te", ["\u00e9te"]),
    ("q\u0307!", ["q\u0307", "!"]),
    (NFD_HANGUL, ["한국어"]),
    (NFD_HANGUL + ".", ["한국어", "."]),
]


@pytest.mark.parametrize("text,expected", DEFAULT_CASES)
def test_default_tokenization(text, expected):
    assert TextTokenizer().tokenize(text) == expected


# (config, input, expected)
CONFIG_CASES = [
    (
        {"split_hangul_boundaries": True},
        "ELMo는 2018년에 나왔다.",
        ["ELMo", "는", "2018년에", "나왔다", "."],
    ),
    (
        {"split_hangul_boundaries": True},
        "韓國語를 TV를 3개",
        ["韓國語", "를", "TV", "를", "3개"],
    ),
    ({"split_hangul_boundaries": True}, "hello 안녕", ["hello", "안녕"]),
    ({"split_punctuation": False}, "mat. 앉았다.", ["mat.", "앉았다."]),
    # An analyser's morphemes, joined by spaces, pass through as they are.
    (
        {"split_punctuation": False},
        "고양이 가 매트 에 앉 았 다 .",
        ["고양이", "가", "매트", "에", "앉", "았", "다", "."],
    ),
    # NFKC folds compatibility characters...
    ({"normalization": "NFKC"}, "ＡＢＣ ①", ["ABC", "1"]),
    ({"normalization": "NFKC"}, "㈜한국", ["(", "주", ")", "한국"]),
    # ...and rewrites Hangul compatibility jamo: U+314B -> U+110F, and
    # "ㅎㅏ" (two compatibility jamo) composes into the syllable "하".
    ({"normalization": "NFKC"}, "ㅋㅋ", ["\u110f\u110f"]),
    ({"normalization": "NFKC"}, "\u314e\u314f", ["하"]),
    ({"normalization": "NFC"}, "\u314e\u314f", ["\u314e\u314f"]),
    # No normalisation: decomposed jamo stay decomposed.
    ({"normalization": None}, NFD_HANGUL, [NFD_HANGUL]),
    ({"normalization": None}, "\ufeffa", ["a"]),
]


@pytest.mark.parametrize("config,text,expected", CONFIG_CASES)
def test_configured_tokenization(config, text, expected):
    assert TextTokenizer(**config).tokenize(text) == expected


def test_nfc_and_nfd_hangul_give_the_same_tokens():
    nfc = unicodedata.normalize("NFC", "한국어 문장입니다.")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert TextTokenizer().tokenize(nfd) == TextTokenizer().tokenize(nfc)
    assert len(TextTokenizer().tokenize(nfd)[0]) == 3  # syllables


def test_bytes_and_batches():
    tokenizer = TextTokenizer()
    assert tokenizer.tokenize("한국어.".encode()) == ["한국어", "."]
    assert tokenizer(["a b.", "c"]) == [["a", "b", "."], ["c"]]
    assert tokenizer("a.") == ["a", "."]


SENTENCE_CASES = [
    (
        "비가 온다. 우산을 챙겨라! 정말?",
        [["비가", "온다", "."], ["우산을", "챙겨라", "!"], ["정말", "?"]],
    ),
    (
        '그가 말했다. "비가 온다!" 끝',
        [["그가", "말했다", "."], ['"', "비가", "온다", "!", '"'], ["끝"]],
    ),
    ("Then (he left.) OK", [["Then", "(", "he", "left", ".", ")"], ["OK"]]),
    ("기다려... 왔다", [["기다려", "..."], ["왔다"]]),
    ("no final mark", [["no", "final", "mark"]]),
    ("", []),
]


@pytest.mark.parametrize("text,expected", SENTENCE_CASES)
def test_split_sentences(text, expected):
    assert TextTokenizer().split_sentences(text) == expected


def test_is_hangul():
    for char in ("한", "\u3131", "\u1100", "\u11ab", "\uffa1", "\ud7b0"):
        assert is_hangul(char), repr(char)
    for char in ("A", "韓", "あ", "1", " ", "·"):
        assert not is_hangul(char), repr(char)


def test_config_round_trip(tmp_path):
    tokenizer = TextTokenizer(
        normalization="NFKC", split_hangul_boundaries=True
    )
    assert TextTokenizer.from_config(tokenizer.get_config()) == tokenizer
    path = tokenizer.save(tmp_path)
    assert path == str(tmp_path / TEXT_TOKENIZER_FILE)
    with open(path, encoding="utf-8") as f:
        assert json.load(f) == {
            "class_name": "TextTokenizer",
            "normalization": "NFKC",
            "mode": "unicode",
            "split_hangul_boundaries": True,
            "split_punctuation": True,
        }
    assert TextTokenizer.load(tmp_path) == tokenizer
    assert TextTokenizer.load(tmp_path / "absent") is None


def test_invalid_args():
    with pytest.raises(ValueError, match="normalization"):
        TextTokenizer(normalization="NFD")
    with pytest.raises(ValueError, match="split_punctuation"):
        TextTokenizer(split_punctuation="yes")
    with pytest.raises(TypeError, match="str or UTF-8 bytes"):
        TextTokenizer().tokenize(3)
    with pytest.raises(ValueError, match="not valid UTF-8"):
        TextTokenizer().tokenize(b"\xff\xfe")
    with pytest.raises(ValueError, match="split_punctuation=True"):
        TextTokenizer(split_punctuation=False).split_sentences("a.")
    with pytest.raises(ValueError, match="Unknown tokenizer config keys"):
        TextTokenizer.from_config({"lowercase": True})
    with pytest.raises(ValueError, match="`mode` must be one of"):
        TextTokenizer(mode="penn")
    with pytest.raises(ValueError, match="mode='moses'.*split_punctuation"):
        TextTokenizer(mode="moses", split_punctuation=False)
    with pytest.raises(ValueError, match="split_hangul_boundaries=True"):
        TextTokenizer(mode="moses", split_hangul_boundaries=True)


def test_a_config_without_mode_is_the_unicode_mode(tmp_path):
    # text_tokenizer.json files written before modes existed.
    path = tmp_path / TEXT_TOKENIZER_FILE
    path.write_text('{"normalization": "NFKC"}', encoding="utf-8")
    assert TextTokenizer.from_file(path) == TextTokenizer(normalization="NFKC")


@pytest.mark.parametrize(
    "content,message",
    [
        ("{not json", "is not a JSON file"),
        ("[1]", "expected a JSON object"),
        ('{"class_name": "Other"}', "class_name is 'Other'"),
        ('{"normalization": "X"}', "normalization"),
    ],
)
def test_bad_config_files_name_the_file(tmp_path, content, message):
    path = tmp_path / TEXT_TOKENIZER_FILE
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        TextTokenizer.from_file(path)
    assert str(path) in str(info.value)
    with pytest.raises(FileNotFoundError, match="not found"):
        TextTokenizer.from_file(tmp_path / "missing.json")
