"""`keras-elmo presets`: the table, the language filter, the cache column."""

from keras_elmo.cli.main import main
from keras_elmo.presets import MANIFEST_FILE
from keras_elmo.presets import list_presets
from keras_elmo.presets.preset_listing import preset_markdown_table


def _rows(output):
    lines = output.strip().splitlines()
    return lines[0], {line.split()[0]: line.split() for line in lines[1:]}


def test_lists_every_preset(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert main(["presets"]) == 0
    header, rows = _rows(capsys.readouterr().out)
    assert header.split() == [
        "name",
        "language",
        "parameters",
        "training",
        "data",
        "license",
        "cached",
        "source",
    ]
    assert sorted(rows) == sorted(list_presets())
    assert "elmo_english_small" not in rows  # the deprecated name


def test_language_filter_and_cached_column(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert main(["presets", "--language", "ko"]) == 0
    _, rows = _rows(capsys.readouterr().out)
    assert list(rows) == ["elmo_manylangs_ko"]
    assert rows["elmo_manylangs_ko"][-2] == "no"
    # A completed download: the manifest in the preset's cache directory.
    directory = tmp_path / "keras_elmo" / "elmo_manylangs_ko"
    directory.mkdir(parents=True)
    (directory / MANIFEST_FILE).write_text("{}")
    assert main(["presets", "--language", "ko"]) == 0
    _, rows = _rows(capsys.readouterr().out)
    assert rows["elmo_manylangs_ko"][-2] == "yes"


def test_unknown_language_is_one_line(capsys):
    assert main(["presets", "--language", "xx"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0
    assert "No built-in model for the language 'xx'" in error


def test_markdown_is_the_docs_table(capsys):
    assert main(["presets", "--markdown"]) == 0
    assert capsys.readouterr().out.strip() == preset_markdown_table()
