"""Tests of `keras-elmo tokenize` and the tokenizer options."""

import json

import pytest

from keras_elmo.cli.main import main
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer


def test_tokenize_command_writes_corpus_and_tokenizer(tmp_path, capsys):
    raw = tmp_path / "raw.txt"
    raw.write_text("ＥＬＭｏ는 좋다. 정말!\n", encoding="utf-8")
    out = tmp_path / "train.txt"
    code = main(
        [
            "tokenize",
            str(raw),
            "--output",
            str(out),
            "--split-sentences",
            "--normalization",
            "NFKC",
            "--split-hangul-boundaries",
            "--save-text-tokenizer",
            str(tmp_path / "model"),
        ]
    )
    assert code == 0
    assert "Wrote 2 sentences (6 tokens) from 1 lines" in (
        capsys.readouterr().out
    )
    assert out.read_text(encoding="utf-8") == "ELMo 는 좋다 .\n정말 !\n"
    assert TextTokenizer.load(tmp_path / "model") == TextTokenizer(
        normalization="NFKC", split_hangul_boundaries=True
    )


def test_tokenize_command_reads_a_tokenizer_file(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text("a.b 앉았다.\n", encoding="utf-8")
    config = tmp_path / "text_tokenizer.json"
    config.write_text(
        json.dumps({"normalization": None, "split_punctuation": False})
    )
    out = tmp_path / "out.txt"
    code = main(
        [
            "tokenize",
            str(raw),
            "--output",
            str(out),
            "--text-tokenizer",
            str(config),
        ]
    )
    assert code == 0
    assert out.read_text(encoding="utf-8") == "a.b 앉았다.\n"


def test_tokenize_bad_input_is_one_clear_line(tmp_path, capsys):
    raw = tmp_path / "raw.txt"
    raw.write_bytes(b"\xff\n")
    code = main(["tokenize", str(raw), "--output", str(tmp_path / "o.txt")])
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("keras-elmo tokenize: error:")
    assert "line 1 is not valid UTF-8" in error
    assert not (tmp_path / "o.txt").exists()


def test_tokenize_command_moses_mode(tmp_path, capsys):
    # The shipped English model's corpus rules, for a corpus cut the same way.
    raw = tmp_path / "raw.txt"
    raw.write_text("Mr. Smith said it's well-known. He left.\n", "utf-8")
    out = tmp_path / "train.txt"
    argv = ["tokenize", str(raw), "--output", str(out), "--split-sentences"]
    argv += ["--mode", "moses", "--save-text-tokenizer", str(tmp_path)]
    assert main(argv) == 0
    assert out.read_text(encoding="utf-8") == (
        "Mr. Smith said it 's well-known .\nHe left .\n"
    )
    assert TextTokenizer.load(tmp_path) == TextTokenizer(mode="moses")
    with pytest.raises(SystemExit) as exit_info:
        main(["tokenize", str(raw), "--output", str(out), "--mode", "x"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'x'" in capsys.readouterr().err
