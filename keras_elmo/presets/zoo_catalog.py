"""The public ELMo models beyond the official English ones: data only.

`ZOO_PRESETS` maps a preset name to its entry; `builtin_presets` merges
it into `BUILTIN_PRESETS`. Each entry records:

- `metadata`: what `keras-elmo presets` and `keras_elmo.ELMo.presets`
  list. `source` is the public page where the download address was read;
  `parameters` is `None` where no source gives the count and it cannot be
  computed without the download (the description then says what is
  known).
- `config`: the architecture as `ELMo` arguments, so `load_weights=False`
  needs no download. For the ELMoForManyLangs models it omits what the
  archive's dictionaries set (`num_characters`, `word_vocabulary_size`).
- `format`: how the files are distributed: `"elmoformanylangs_archive"`
  (a zip or tar of an ELMoForManyLangs model directory),
  `"bilm_tf_archive"` (a zip of `options.json`, `model.hdf5`,
  `vocab.txt`) or `"bilm_tf_files"` (the files one by one).
- `url`: the archive's URL, or for `"bilm_tf_files"` a dict preset file
  name -> URL.
- `sha256`: the archive's checksum where its source publishes one, else
  `None`.

Only models whose address and architecture were both found in a public
source are listed; nothing is fetched at import. Public models with a
known address but no public statement of their architecture (AllenNLP's
other contributed models: Portuguese, Japanese, German, Basque, Tamil;
the NLPL repository's bilm-tf zips: NorELMo, RusVectores and the
SemEval-2020 models) are named, with their addresses and what is known
of them, in docs/presets.md ("Models not listed").
"""

from keras_elmo.layers.char_cnn_encoder import OFFICIAL_FILTERS

# ELMoForManyLangs (Che et al., 2018): the download table of its README.
_MANYLANGS_SOURCE = "https://github.com/HIT-SCIR/ELMoForManyLangs#downloads"
_MANYLANGS_PAPER = "https://aclanthology.org/K18-2005/"
_MANYLANGS_LICENSE = (
    "MIT (the ELMoForManyLangs code's license; no separate terms are "
    "given for the models)"
)
_MANYLANGS_DATA = (
    "20M words sampled from the CoNLL 2018 shared task raw text "
    "(Wikipedia dump and Common Crawl)"
)
_NLPL_ARCHIVE = "http://vectors.nlpl.eu/repository/11/{id}.zip"

# `elmoformanylangs/configs/cnn_50_100_512_4096_sample.json`, the
# architecture every released model documents, as
# `keras_elmo.conversion.elmoformanylangs.config_to_arguments` turns it into
# `ELMo` arguments (tests/presets/zoo_catalog_test.py checks this).
MANYLANGS_CONFIG = {
    "filters": [list(pair) for pair in OFFICIAL_FILTERS],
    "character_embedding_dim": 50,
    "num_highway_layers": 2,
    "activation": "relu",
    "max_characters_per_token": 50,
    "word_embedding_dim": 100,
    "lstm_units": 4096,
    "projection_dim": 512,
    "num_layers": 2,
    "cell_clip": 3.0,
    "projection_clip": 3.0,
    "use_skip_connections": True,
    "forget_bias": 0.0,
}
# Parameters of that architecture besides the character and word
# embeddings (built with keras_elmo and counted; the test recounts).
MANYLANGS_FIXED_PARAMETERS = 94_066_752

# (language tag, English name, NLPL repository id), in the README's order.
_MANYLANGS_MODELS = (
    ("ar", "Arabic", 136),
    ("bg", "Bulgarian", 137),
    ("ca", "Catalan", 138),
    ("cs", "Czech", 139),
    ("cu", "Old Church Slavonic", 140),
    ("da", "Danish", 141),
    ("de", "German", 142),
    ("el", "Greek", 143),
    ("en", "English", 144),
    ("es", "Spanish", 145),
    ("et", "Estonian", 146),
    ("eu", "Basque", 147),
    ("fa", "Persian", 148),
    ("fi", "Finnish", 149),
    ("fr", "French", 150),
    ("ga", "Irish", 151),
    ("gl", "Galician", 152),
    # Ancient Greek has no ISO 639-1 code: ISO 639-3.
    ("grc", "Ancient Greek", 153),
    ("he", "Hebrew", 154),
    ("hi", "Hindi", 155),
    ("hr", "Croatian", 156),
    ("hu", "Hungarian", 157),
    ("id", "Indonesian", 158),
    ("it", "Italian", 159),
    ("ja", "Japanese", 160),
    ("ko", "Korean", 161),
    ("la", "Latin", 162),
    ("lv", "Latvian", 163),
    ("nb", "Norwegian Bokmål", 165),
    ("nl", "Dutch", 164),
    ("nn", "Norwegian Nynorsk", 166),
    ("pl", "Polish", 167),
    ("pt", "Portuguese", 168),
    ("ro", "Romanian", 169),
    ("ru", "Russian", 170),
    ("sk", "Slovak", 171),
    ("sl", "Slovene", 172),
    ("sv", "Swedish", 173),
    ("tr", "Turkish", 174),
    ("ug", "Uyghur", 175),
    ("uk", "Ukrainian", 176),
    ("ur", "Urdu", 177),
    ("vi", "Vietnamese", 178),
    # The README's "Chinese": traditional (its Wikipedia), beside the
    # simplified-Chinese model below.
    ("zh-Hant", "Chinese (traditional)", 179),
)


def _manylangs_description(language_name, data=None):
    return (
        f"ELMoForManyLangs {language_name} ELMo (HIT-SCIR): the original "
        "ELMo architecture (2 biLSTM layers of 4096 units projected to 512, "
        "2 highway layers) with a 50-dim character vocabulary and a 100-dim "
        "word embedding; trained on "
        f"{data or 'its 20M-word sample'}. "
        f"{MANYLANGS_FIXED_PARAMETERS:,} parameters besides the character "
        "and word embeddings, whose sizes the archive's char.dic and "
        "word.dic set."
    )


def _manylangs(tag, language_name, url, training_data=_MANYLANGS_DATA):
    return {
        "metadata": {
            "description": _manylangs_description(
                language_name,
                None if training_data == _MANYLANGS_DATA else training_data,
            ),
            "language": tag,
            "language_name": language_name,
            "training_data": training_data,
            "license": _MANYLANGS_LICENSE,
            "parameters": None,
            "parameters_without_embeddings": MANYLANGS_FIXED_PARAMETERS,
            "source": _MANYLANGS_SOURCE,
            "reference": _MANYLANGS_PAPER,
        },
        "config": dict(MANYLANGS_CONFIG),
        "format": "elmoformanylangs_archive",
        "url": url,
        "sha256": None,
    }


def _preset_name(tag):
    return "elmo_manylangs_" + tag.lower().replace("-", "_")


ZOO_PRESETS = {
    _preset_name(tag): _manylangs(
        tag, language_name, _NLPL_ARCHIVE.format(id=archive_id)
    )
    for tag, language_name, archive_id in _MANYLANGS_MODELS
}
ZOO_PRESETS["elmo_manylangs_zh_hans"] = _manylangs(
    "zh-Hans",
    "Chinese (simplified)",
    # The README's "ELMo for Simplified Chinese" link (a tar.bz2 on the
    # authors' own server, not on NLPL).
    "http://39.96.43.154/zhs.model.tar.bz2",
    training_data="the Xinhua portion of Chinese Gigaword v5 (LDC2011T13)",
)

# AllenNLP's contributed PubMed model: the original architecture, as its
# file names say (elmo_2x4096_512_2048cnn_2xhighway).
_ALLENNLP_CONTRIBUTED = (
    "https://s3-us-west-2.amazonaws.com/allennlp/models/elmo/contributed"
)
ZOO_PRESETS["elmo_original_pubmed_en"] = {
    "metadata": {
        "description": "The PubMed ELMo of AllenNLP's contributed models "
        "(Matthew Peters): the original "
        "architecture (2 biLSTM layers of 4096 units projected to 512, "
        "2048 CNN filters, 2 highway layers) trained on PubMed text.",
        "language": "en",
        "language_name": "English",
        "training_data": "PubMed (the weight file's name: "
        "weights_PubMed_only; the source gives no corpus size)",
        "license": "not stated by the source",
        # Counted: keras_elmo.ELMo with this config (the official
        # `elmo_original_en` architecture; 93.6M on allennlp.org/elmo).
        "parameters": 93_600_864,
        # Its "Contributed ELMo Models" table (contributor: Matthew
        # Peters); the page's source is elmo.html of
        # github.com/allenai/allennlp-website.
        "source": "https://allennlp.org/elmo",
        "reference": "https://arxiv.org/abs/1802.05365",
    },
    "config": {
        "filters": [list(pair) for pair in OFFICIAL_FILTERS],
        "character_embedding_dim": 16,
        "num_highway_layers": 2,
        "activation": "relu",
        "num_characters": 262,
        "max_characters_per_token": 50,
        "lstm_units": 4096,
        "projection_dim": 512,
        "num_layers": 2,
        "cell_clip": 3.0,
        "projection_clip": 3.0,
        "use_skip_connections": True,
    },
    "format": "bilm_tf_files",
    "url": {
        "options.json": f"{_ALLENNLP_CONTRIBUTED}/pubmed/"
        "elmo_2x4096_512_2048cnn_2xhighway_options.json",
        "weights.hdf5": f"{_ALLENNLP_CONTRIBUTED}/pubmed/"
        "elmo_2x4096_512_2048cnn_2xhighway_weights_PubMed_only.hdf5",
    },
    "sha256": None,
}
