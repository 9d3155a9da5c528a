import pytest

pytest.importorskip("apache_beam")

from keras_elmo.cli.main import build_parser  # noqa: E402
from keras_elmo.cli.main import main  # noqa: E402
from tests.beam.beam_fixtures import read_dead_letter  # noqa: E402
from tests.beam.beam_fixtures import read_embeddings  # noqa: E402
from tests.presets.preset_server import write_tiny_preset  # noqa: E402


def test_beam_options_come_last_and_pass_through():
    args = build_parser().parse_args(
        [
            "embed-corpus",
            "a/*.txt",
            "b.txt",
            "out/",
            "--model",
            "elmo_tiny_en",
            "--top",
            "--beam-options",
            "--direct_num_workers=2",
            "--project",
            "p",
        ]
    )
    assert args.input_patterns == ["a/*.txt", "b.txt"]
    assert args.output_dir == "out/"
    assert args.output == "top"
    assert args.runner == "DirectRunner"
    assert args.pipeline_args == ["--direct_num_workers=2", "--project", "p"]


@pytest.mark.large
def test_embed_corpus_command(tmp_path, capsys):
    preset = write_tiny_preset(tmp_path / "tiny", seed=2)
    text = tmp_path / "in.txt"
    text.write_text("The cat sat.\n\nHello world\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["embed-corpus", str(text), str(out), "--model", str(preset)]
    assert main(argv + ["--average", "--tokenize"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Wrote 2 sentences, 6 tokens (average) to {out}; 1 bad lines in "
        "its dead_letter-*.jsonl"
    )
    rows = read_embeddings(out)
    assert sorted(r["line"] for r in rows) == [1, 3]
    assert rows[0]["tokens"] in (["The", "cat", "sat", "."], ["Hello", "world"])
    assert [r["reason"] for r in read_dead_letter(out)] == [
        "empty after tokenization"
    ]
    # A second run into the same directory: one clear line, nothing written.
    assert main(argv) == 2
    assert "already holds" in capsys.readouterr().err
