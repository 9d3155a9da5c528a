"""Finding a built-in preset: filter by language, see what is cached.

`list_presets` is what `keras_elmo.ELMo.presets` lists, filtered;
`preset_table` and `preset_markdown_table` render it for
`keras-elmo presets` and docs/presets.md (whose table is generated from
here and tested to match). No network: metadata and the cache directory
only.
"""

import re

from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.preset_handles import MANIFEST_FILE
from keras_elmo.presets.preset_handles import builtin_preset_metadata
from keras_elmo.presets.preset_handles import cache_dir

# English names of the codes whose metadata gives none.
_LANGUAGE_NAMES = {"en": "English"}


def _matches(language, wanted):
    # "zh" finds "zh-Hant" and "zh-Hans"; "zh-hant" finds only the first.
    language, wanted = str(language).lower(), wanted.lower()
    return language == wanted or language.startswith(wanted + "-")


def list_presets(language=None):
    """Built-in preset name -> metadata, optionally for one language.

    Args:
        language: str or `None`. An ISO 639 code (`"ko"`) or a language tag
            (`"zh-Hans"`); a code also finds its tags (`"zh"` finds
            `"zh-Hant"` and `"zh-Hans"`). Case does not matter. `None`
            lists every preset.

    Returns:
        A dict name -> metadata (as `keras_elmo.ELMo.presets`), in the
        registry's order.

    Example:

    >>> sorted(list_presets(language="ko"))
    ['elmo_manylangs_ko']
    """
    presets = builtin_preset_metadata()
    if language is None:
        return presets
    if not isinstance(language, str) or not language.strip():
        raise ValueError(
            "`language` must be a language code such as 'ko'. Received: "
            f"{language!r}"
        )
    return {
        name: metadata
        for name, metadata in presets.items()
        if _matches(metadata.get("language", ""), language.strip())
    }


def is_cached(name):
    """Whether a built-in preset's download is complete in the cache.

    A shipped preset (inside the package) counts as cached.

    Example:

    >>> is_cached("elmo_tiny_en")
    True
    """
    entry = BUILTIN_PRESETS[name]
    if "package" in entry:
        return True
    return (cache_dir() / name / MANIFEST_FILE).is_file()


def _cached_cell(name):
    if "package" in BUILTIN_PRESETS[name]:
        return "shipped"
    return "yes" if is_cached(name) else "no"


def format_parameters(metadata):
    """A preset's parameter count for a table: `13.6M`, `94.1M + embeddings`.

    Example:

    >>> format_parameters({"parameters": 13_600_000})
    '13.6M'
    """
    count = metadata.get("parameters")
    if count is not None:
        return f"{count / 1e6:.1f}M"
    fixed = metadata.get("parameters_without_embeddings")
    if fixed is not None:
        return f"{fixed / 1e6:.1f}M + embeddings"
    return "unknown"


def _language_cell(metadata):
    code = metadata.get("language", "")
    name = metadata.get("language_name") or _LANGUAGE_NAMES.get(code)
    return f"{code} ({name})" if name else code


def _rows(presets, cached):
    for name, metadata in presets.items():
        row = [
            name,
            _language_cell(metadata),
            format_parameters(metadata),
            str(metadata.get("training_data", "")),
            str(metadata.get("license", "")),
        ]
        if cached:
            row.append(_cached_cell(name))
        row.append(str(metadata.get("source", "")))
        yield row


def _shorten(text, width):
    return text if len(text) <= width else text[: width - 1] + "…"


# Column widths of the terminal table (the source URL, last, is whole).
_TERMINAL_WIDTHS = (24, 28, 20, 40, 24, 7)


def preset_table(presets):
    """The terminal table of `keras-elmo presets`, one line a preset.

    Columns: name, language, parameters, training data, license, cached
    (`yes`, `no`, or `shipped` for the model inside the package), and the
    page where the download address was read. Long cells are shortened;
    `preset_markdown_table` gives them whole.

    Args:
        presets: dict name -> metadata, as `list_presets` gives.

    Returns:
        str, with a header line.

    Example:

    >>> print(preset_table(list_presets(language="ko")))  # doctest: +SKIP
    """
    header = [
        "name",
        "language",
        "parameters",
        "training data",
        "license",
        "cached",
        "source",
    ]
    rows = [header, *_rows(presets, cached=True)]
    widths = [
        min(limit, max(len(row[i]) for row in rows))
        for i, limit in enumerate(_TERMINAL_WIDTHS)
    ]
    lines = []
    for row in rows:
        cells = [
            _shorten(cell, width).ljust(width)
            for cell, width in zip(row, widths)
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _markdown_cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def preset_markdown_table(presets=None):
    """The Markdown table of every built-in preset (docs/presets.md).

    Like `preset_table` without the cache column, every cell whole; the
    source is a link.

    Args:
        presets: dict name -> metadata, or `None` for every preset.

    Example:

    >>> preset_markdown_table().splitlines()[0]
    '| name | language | parameters | training data | license | source |'
    """
    if presets is None:
        presets = list_presets()
    lines = [
        "| name | language | parameters | training data | license | source |",
        "|---|---|---|---|---|---|",
    ]
    for row in _rows(presets, cached=False):
        *cells, source = (_markdown_cell(cell) for cell in row)
        cells[0] = f"`{cells[0]}`"
        if re.fullmatch(r"https?://\S+", source):
            source = f"<{source}>"
        lines.append("| " + " | ".join([*cells, source]) + " |")
    return "\n".join(lines)
