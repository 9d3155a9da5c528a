"""The English corpus rules, and `TextTokenizer(mode="moses")` running them.

`CORPUS_TOKENIZATION` was written by the corpus tokenizer the shipped
English model was trained with (scripts/text_processing.py at commit
f77743a, before it moved into the package): `normalize_text` then
`tokenize`. Sentences from the corpus's sources (Austen, Moby Dick, the
World English Bible, State of the Union addresses, Wikipedia) and the
cases that tokenizer treats specially.
"""

import pytest

from keras_elmo.preprocessing import moses_rules
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from tests.test_case import REPO_ROOT

SHIPPED_PRESET = REPO_ROOT / "saved_models" / "elmo_tiny_en" / "preset"

CORPUS_TOKENIZATION = [
    (
        "Mr. Smith said it's well-known.",
        "Mr. Smith said it 's well-known .",
    ),
    (
        (
            "It is a truth universally acknowledged, that a single man in "
            "possession of a good fortune, must be in want of a wife."
        ),
        (
            "It is a truth universally acknowledged , that a single man in "
            "possession of a good fortune , must be in want of a wife ."
        ),
    ),
    (
        (
            "“My dear Mr. Bennet,” said his lady to him one day, “have you "
            "heard that Netherfield Park is let at last?”"
        ),
        (
            '" My dear Mr. Bennet , " said his lady to him one day , " have '
            'you heard that Netherfield Park is let at last ? "'
        ),
    ),
    (
        "Mr. Bennet replied that he had not.",
        "Mr. Bennet replied that he had not .",
    ),
    (
        "Call me Ishmael.",
        "Call me Ishmael .",
    ),
    (
        (
            "Some years ago—never mind how long precisely—having little or no "
            "money in my purse, and nothing particular to interest me on "
            "shore, I thought I would sail about a little and see the watery "
            "part of the world."
        ),
        (
            "Some years ago -- never mind how long precisely -- having little "
            "or no money in my purse , and nothing particular to interest me "
            "on shore , I thought I would sail about a little and see the "
            "watery part of the world ."
        ),
    ),
    (
        "In the beginning, God created the heavens and the earth.",
        "In the beginning , God created the heavens and the earth .",
    ),
    (
        (
            "The earth was formless and empty. Darkness was on the surface of "
            "the deep and God’s Spirit was hovering over the surface of the "
            "waters."
        ),
        (
            "The earth was formless and empty . Darkness was on the surface of "
            "the deep and God 's Spirit was hovering over the surface of the "
            "waters ."
        ),
    ),
    (
        (
            "Madam Speaker, Madam Vice President, our First Lady and Second "
            "Gentleman."
        ),
        (
            "Madam Speaker , Madam Vice President , our First Lady and Second "
            "Gentleman ."
        ),
    ),
    (
        (
            "We've lost 1,000,000 jobs since Jan. 1st, and the U.S. economy "
            "won't wait."
        ),
        (
            "We 've lost 1,000,000 jobs since Jan. 1st , and the U.S. economy "
            "won 't wait ."
        ),
    ),
    (
        "The 1990's were good; the boys' toys cost $5.50 (10% off).",
        "The 1990 's were good ; the boys ' toys cost $ 5.50 ( 10 % off ) .",
    ),
    (
        "Dr. Jones met St. John at No. 5 Baker St. on Tuesday.",
        "Dr. Jones met St. John at No. 5 Baker St. on Tuesday .",
    ),
    (
        'She asked: "Why?" -- and he didn\'t answer...',
        'She asked : " Why ? " -- and he didn \'t answer ...',
    ),
    (
        (
            "John F. Kennedy was the 35th president of the United States, from "
            "1961 until his assassination in 1963."
        ),
        (
            "John F. Kennedy was the 35th president of the United States , "
            "from 1961 until his assassination in 1963 ."
        ),
    ),
    (
        (
            "Paris is the capital and most populous city of France, with an "
            "estimated population of 2,102,650 residents as of January 2023."
        ),
        (
            "Paris is the capital and most populous city of France , with an "
            "estimated population of 2,102,650 residents as of January 2023 ."
        ),
    ),
    (
        "The e.g. and i.e. abbreviations, a.m. and p.m. times, are tricky.",
        "The e.g. and i.e. abbreviations , a.m. and p.m. times , are tricky .",
    ),
    (
        "I'll go; you'd better stay -- they're here, aren't they?",
        "I 'll go ; you 'd better stay -- they 're here , aren 't they ?",
    ),
    (
        "-5 degrees is cold, isn't it?",
        "- 5 degrees is cold , isn 't it ?",
    ),
    (
        "O'Brien's dog ate the rock 'n' roll record.",
        "O 'Brien 's dog ate the rock ' n ' roll record .",
    ),
    (
        "«Bonjour», dit-il – café au lait…",
        '" Bonjour " , dit-il - café au lait ...',
    ),
    (
        "The _italic_ word and the fullwidth ＡＢＣ letters.",
        "The italic word and the fullwidth ABC letters .",
    ),
    (
        (
            "Emma Woodhouse, handsome, clever, and rich, with a comfortable "
            "home and happy disposition, seemed to unite some of the best "
            "blessings of existence."
        ),
        (
            "Emma Woodhouse , handsome , clever , and rich , with a "
            "comfortable home and happy disposition , seemed to unite some of "
            "the best blessings of existence ."
        ),
    ),
    (
        "Vol. 3, pp. 12-15, Fig. 2 shows it.",
        "Vol. 3 , pp. 12-15 , Fig. 2 shows it .",
    ),
    (
        "Prices rose 3.5% in Q2 and fell in Q3.",
        "Prices rose 3.5 % in Q2 and fell in Q3 .",
    ),
]


@pytest.mark.parametrize("raw, expected", CORPUS_TOKENIZATION)
def test_moses_mode_reproduces_the_corpus_tokenizer(raw, expected):
    assert " ".join(TextTokenizer(mode="moses").tokenize(raw)) == expected
    assert " ".join(TextTokenizer(mode="moses")(raw.encode())) == expected
    tokens = moses_rules.tokenize(moses_rules.normalize_text(raw))
    assert " ".join(tokens) == expected


def test_the_issue_sentence_against_the_unicode_mode():
    text = "Mr. Smith said it's well-known."
    assert TextTokenizer(mode="moses").tokenize(text) == [
        "Mr.",
        "Smith",
        "said",
        "it",
        "'s",
        "well-known",
        ".",
    ]
    assert TextTokenizer().tokenize(text) == [
        "Mr",
        ".",
        "Smith",
        "said",
        "it's",
        "well-known",
        ".",
    ]


def test_the_shipped_model_knows_the_moses_tokens_not_the_unicode_ones():
    # The shipped vocabulary was counted on the corpus: the clitic and the
    # abbreviation are words of it, the default mode's clitics are not.
    vocabulary = set(load_vocabulary(SHIPPED_PRESET / "vocabulary.txt"))
    text = "Mr. Smith said it's well-known, and he didn't know."
    moses = TextTokenizer(mode="moses").tokenize(text)
    assert set(moses) <= vocabulary, sorted(set(moses) - vocabulary)
    unicode_only = set(TextTokenizer().tokenize(text)) - set(moses)
    assert unicode_only == {"Mr", "it's", "didn't"}
    # "Mr" is a word of the corpus too (Austen writes it without a
    # period); the unsplit clitics are not.
    assert unicode_only - vocabulary == {"it's", "didn't"}


def test_the_shipped_preset_carries_the_moses_mode():
    assert TextTokenizer.load(SHIPPED_PRESET) == TextTokenizer(mode="moses")


@pytest.mark.parametrize(
    "paragraph, expected",
    [
        (
            "Mr. Smith came. He left! Did he? Yes.",
            ["Mr. Smith came.", "He left!", "Did he?", "Yes."],
        ),
        ('"Stop!" She ran. 3 men.', ['"Stop!"', "She ran.", "3 men."]),
        ("John F. Kennedy spoke.", ["John F. Kennedy spoke."]),
        ("in the U.S. Army now", ["in the U.S. Army now"]),
        ('"Why?" he asked.', ['"Why?" he asked.']),
        ("He said (really.) Then went.", ["He said (really.)", "Then went."]),
        ("No final stop", ["No final stop"]),
    ],
)
def test_split_sentences(paragraph, expected):
    assert moses_rules.split_sentences(paragraph) == expected
    assert TextTokenizer(mode="moses").split_sentences(paragraph) == [
        moses_rules.tokenize(sentence) for sentence in expected
    ]


def test_moses_split_sentences_knows_abbreviations():
    text = "Mr. Smith came. He left."
    assert TextTokenizer(mode="moses").split_sentences(text) == [
        ["Mr.", "Smith", "came", "."],
        ["He", "left", "."],
    ]
    assert len(TextTokenizer().split_sentences(text)) == 3  # "Mr." ends one


def test_normalize_text():
    text = "\ufeff\u201cHi\u201d\u2014she\u2019s _very_ tired\u2026\u00a0 ok"
    assert moses_rules.normalize_text(text) == '"Hi" -- she\'s very tired... ok'
    assert TextTokenizer(mode="moses").normalize(text) == (
        '"Hi" -- she\'s very tired... ok'
    )
    with pytest.raises(TypeError):
        moses_rules.normalize_text(b"bytes")
    with pytest.raises(TypeError):
        moses_rules.tokenize(b"bytes")


@pytest.mark.parametrize("normalization", ["NFC", "NFKC", None])
def test_every_normalization_gives_the_corpus_tokens(normalization):
    tokenizer = TextTokenizer(normalization=normalization, mode="moses")
    for raw, expected in CORPUS_TOKENIZATION:
        assert " ".join(tokenizer.tokenize(raw)) == expected


def test_the_mode_round_trips_through_text_tokenizer_json(tmp_path):
    tokenizer = TextTokenizer(mode="moses")
    tokenizer.save(tmp_path)
    restored = TextTokenizer.load(tmp_path)
    assert restored == tokenizer and restored.mode == "moses"
