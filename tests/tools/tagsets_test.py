import pytest

from tools import tagsets


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("at", "DET"),
        ("NP-TL", "NOUN"),
        ("nn-tl-hl", "NOUN"),
        ("np$", "NOUN"),
        ("pp$", "PRON"),
        ("pp$$", "PRON"),
        ("ppss+ber", "PRON"),
        ("md*", "VERB"),
        ("bez*", "VERB"),
        ("*", "ADV"),
        ("cs", "ADP"),
        ("ex+bez", "DET"),
        ("fw-in+at-tl", "X"),
        ("od", "ADJ"),
        ("ppss+ber-n", "PRON"),
        ("``", "."),
        ("--", "."),
        ("to", "PRT"),
        ("nil", "X"),
    ],
)
def test_brown_to_universal(tag, expected):
    assert tagsets.brown_to_universal(tag) == expected


def test_brown_tables_use_universal_tags():
    assert set(tagsets.BROWN_TO_UNIVERSAL.values()) == set(
        tagsets.UNIVERSAL_TAGS
    )
    assert set(tagsets.PTB_TO_UNIVERSAL.values()) <= set(tagsets.UNIVERSAL_TAGS)


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("NNP", "NOUN"),
        ("PRP$", "PRON"),
        ("POS", "PRT"),
        ("JJ|RB", "ADJ"),
        ("-LRB-", "."),
        ("$", "."),
        ("EX", "DET"),
        ("MD", "VERB"),
    ],
)
def test_ptb_to_universal(tag, expected):
    assert tagsets.ptb_to_universal(tag) == expected


def test_unknown_tags():
    with pytest.raises(ValueError, match="Unknown Brown tag 'zz'"):
        tagsets.brown_to_universal("zz")
    with pytest.raises(ValueError, match="Unknown Penn Treebank tag"):
        tagsets.ptb_to_universal("NNX")
    with pytest.raises(ValueError, match="non-empty"):
        tagsets.brown_to_universal("")
