"""Finding a preset: the language filter, the cache column, the docs table."""

import pytest

from keras_elmo.presets import MANIFEST_FILE
from keras_elmo.presets import cache_dir
from keras_elmo.presets import is_cached
from keras_elmo.presets import list_presets
from keras_elmo.presets.preset_listing import format_parameters
from keras_elmo.presets.preset_listing import preset_markdown_table
from keras_elmo.presets.preset_listing import preset_table


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path / "keras_home"


def test_language_filter():
    assert list(list_presets(language="ko")) == ["elmo_manylangs_ko"]
    assert list(list_presets(language="KO")) == ["elmo_manylangs_ko"]
    assert sorted(list_presets(language="zh")) == [
        "elmo_manylangs_zh_hans",
        "elmo_manylangs_zh_hant",
    ]
    assert list(list_presets(language="zh-hans")) == ["elmo_manylangs_zh_hans"]
    english = list_presets(language="en")
    assert {"elmo_small_en", "elmo_tiny_en", "elmo_manylangs_en"} <= set(
        english
    )
    assert "elmo_manylangs_ko" not in english
    assert list_presets(language="xx") == {}
    assert len(list_presets()) == len(list_presets(language=None))
    with pytest.raises(ValueError, match="`language`"):
        list_presets(language=" ")


def test_cached_follows_the_manifest(keras_home):
    assert is_cached("elmo_tiny_en")  # shipped in the package
    assert not is_cached("elmo_manylangs_ko")
    directory = cache_dir() / "elmo_manylangs_ko"
    directory.mkdir(parents=True)
    assert not is_cached("elmo_manylangs_ko")  # a download under way
    (directory / MANIFEST_FILE).write_text("{}")
    assert is_cached("elmo_manylangs_ko")


def test_parameters_cell():
    assert format_parameters({"parameters": 3_324_512}) == "3.3M"
    assert (
        format_parameters(
            {"parameters": None, "parameters_without_embeddings": 94_066_752}
        )
        == "94.1M + embeddings"
    )
    assert format_parameters({"parameters": None}) == "unknown"


def test_terminal_table_has_a_line_per_preset(keras_home):
    table = preset_table(list_presets()).splitlines()
    assert table[0].split()[:3] == ["name", "language", "parameters"]
    assert len(table) == 1 + len(list_presets())
    rows = {line.split()[0]: line for line in table[1:]}
    assert "shipped" in rows["elmo_tiny_en"]
    assert rows["elmo_manylangs_ko"].endswith(
        "https://github.com/HIT-SCIR/ELMoForManyLangs#downloads"
    )


def test_markdown_table_lists_every_preset_with_its_source():
    table = preset_markdown_table().splitlines()
    assert len(table) == 2 + len(list_presets())
    for line, (name, metadata) in zip(table[2:], list_presets().items()):
        assert line.startswith(f"| `{name}` |")
        assert str(metadata["source"]) in line
