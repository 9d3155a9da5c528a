"""The zoo registry: every entry complete, sourced, and buildable offline."""

import json
import re
import urllib.parse

import pytest

from keras_elmo.conversion.elmoformanylangs import RELEASED_CONFIG
from keras_elmo.conversion.elmoformanylangs import config_to_arguments
from keras_elmo.models.elmo import ELMo
from keras_elmo.presets import BUILTIN_PRESETS
from keras_elmo.presets import builtin_preset_config
from keras_elmo.presets.builtin_presets import OFFICIAL_BASE_URL
from keras_elmo.presets.zoo_catalog import MANYLANGS_CONFIG
from keras_elmo.presets.zoo_catalog import MANYLANGS_FIXED_PARAMETERS
from keras_elmo.presets.zoo_catalog import ZOO_PRESETS
from tests.test_case import REPO_ROOT

FORMATS = ("elmoformanylangs_archive", "bilm_tf_archive", "bilm_tf_files")
METADATA_FIELDS = (
    "description",
    "language",
    "language_name",
    "training_data",
    "license",
    "parameters",
    "source",
    "reference",
)
# What the ELMoForManyLangs archives' char.dic and word.dic set.
VOCABULARY_ARGUMENTS = ("num_characters", "word_vocabulary_size")
# The 44 languages of ELMoForManyLangs' download table, and the
# simplified-Chinese model.
MANYLANGS_TAGS = (
    "ar bg ca cs cu da de el en es et eu fa fi fr ga gl grc he hi hr hu id "
    "it ja ko la lv nb nl nn pl pt ro ru sk sl sv tr ug uk ur vi zh-Hant "
    "zh-Hans"
).split()


def _is_http_url(text):
    parts = urllib.parse.urlparse(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@pytest.mark.parametrize("name", sorted(ZOO_PRESETS))
def test_every_entry_has_every_field(name):
    entry = ZOO_PRESETS[name]
    assert set(entry) == {"metadata", "config", "format", "url", "sha256"}
    metadata = entry["metadata"]
    for field in METADATA_FIELDS:
        assert field in metadata, field
    for field in set(METADATA_FIELDS) - {"parameters"}:
        assert isinstance(metadata[field], str) and metadata[field], field
    assert metadata["parameters"] is None or (
        isinstance(metadata["parameters"], int) and metadata["parameters"] > 0
    )
    assert _is_http_url(metadata["source"]), metadata["source"]
    assert _is_http_url(metadata["reference"]), metadata["reference"]
    assert re.fullmatch(r"[a-z]{2,3}(-[A-Z][a-z]{3})?", metadata["language"])
    assert entry["format"] in FORMATS
    if entry["format"] == "bilm_tf_files":
        assert {"options.json", "weights.hdf5"} <= set(entry["url"])
        assert all(_is_http_url(url) for url in entry["url"].values())
    else:
        assert _is_http_url(entry["url"]), entry["url"]
    sha256 = entry["sha256"]
    assert sha256 is None or re.fullmatch(r"[0-9a-f]{64}", sha256)
    # Plain data (what a JSON manifest can hold), nothing computed lazily.
    json.dumps(entry)


def test_names_follow_the_keras_hub_pattern_and_are_unique():
    for name in ZOO_PRESETS:
        assert re.fullmatch(r"elmo_[a-z0-9_.]+", name), name
    # Merged into the registry, none hides an official or shipped name.
    assert len(BUILTIN_PRESETS) == len(ZOO_PRESETS) + 5


def test_every_elmoformanylangs_language_is_listed():
    languages = sorted(
        entry["metadata"]["language"]
        for entry in ZOO_PRESETS.values()
        if entry["format"] == "elmoformanylangs_archive"
    )
    assert languages == sorted(MANYLANGS_TAGS)
    assert len(languages) == 45
    korean = ZOO_PRESETS["elmo_manylangs_ko"]
    assert korean["url"] == "http://vectors.nlpl.eu/repository/11/161.zip"
    assert korean["metadata"]["language_name"] == "Korean"


def test_elmoformanylangs_config_is_the_converters_reading():
    # The released config as the converter turns it into ELMo arguments,
    # less what the archive's dictionaries set.
    arguments = config_to_arguments(RELEASED_CONFIG, 10, 20)
    for name in VOCABULARY_ARGUMENTS:
        arguments.pop(name)
    assert arguments == MANYLANGS_CONFIG
    for entry in ZOO_PRESETS.values():
        if entry["format"] == "elmoformanylangs_archive":
            assert entry["config"] == MANYLANGS_CONFIG
            assert not set(VOCABULARY_ARGUMENTS) & set(entry["config"])


def _distinct_configs():
    configs = {}
    for name, entry in ZOO_PRESETS.items():
        configs.setdefault(json.dumps(entry["config"], sort_keys=True), name)
    return sorted(configs.values())


@pytest.mark.parametrize("name", _distinct_configs())
def test_config_builds_an_elmo_with_no_download(name):
    # One build per distinct architecture (each is ~94M parameters).
    entry = ZOO_PRESETS[name]
    config = builtin_preset_config(name)
    vocabulary = {}
    if entry["format"] == "elmoformanylangs_archive":
        # Dictionaries of 10 characters and 20 words (+1 padding row each).
        vocabulary = {"num_characters": 11, "word_vocabulary_size": 21}
    model = ELMo(**config, **vocabulary)
    parameters = entry["metadata"]["parameters"]
    if parameters is not None:
        assert model.count_params() == parameters
    else:
        embeddings = 11 * 50 + 21 * 100
        assert model.count_params() - embeddings == MANYLANGS_FIXED_PARAMETERS
        assert (
            entry["metadata"]["parameters_without_embeddings"]
            == MANYLANGS_FIXED_PARAMETERS
        )


def _registry_urls():
    urls = set()
    for entry in BUILTIN_PRESETS.values():
        if "files" in entry:  # the official models, under the base URL
            urls.update(
                f"{OFFICIAL_BASE_URL}/{path}"
                for path in entry["files"].values()
            )
        elif isinstance(entry.get("url"), dict):
            urls.update(entry["url"].values())
        elif "url" in entry:
            urls.add(entry["url"])
    return urls


def test_models_not_listed_are_not_entries():
    # docs/presets.md names, with their addresses, the public models that
    # are not built-in names; an entry added for one must leave that list.
    page = (REPO_ROOT / "docs" / "presets.md").read_text(encoding="utf-8")
    section = page.split("### Models not listed", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"https?://[^\s`<>)]+", section))
    assert "http://vectors.nlpl.eu/repository/20/218.zip" in named
    assert not named & _registry_urls()
