"""The options.json of the original ELMo: validation and layer arguments."""

import copy
import json
import os

from keras_elmo.preprocessing.elmo_characters import N_CHARACTERS
from keras_elmo.utils.atomic import atomic_path

_REQUIRED = {
    "char_cnn": ("embedding", "filters", "n_characters"),
    "lstm": ("dim", "projection_dim"),
}


def _fail(source, field, problem):
    where = f" in {source}" if source else ""
    raise ValueError(f"Invalid ELMo options{where}: `{field}` {problem}")


def _positive_int(value, source, field):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        _fail(source, field, f"must be a positive integer, got {value!r}.")
    return value


def _optional_clip(value, source, field):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(source, field, f"must be a number or null, got {value!r}.")
    if value <= 0:
        _fail(source, field, f"must be positive, got {value!r}.")
    return float(value)


def validate_options(options, source=None):
    """Check an options dict of the original format and fill in defaults.

    Args:
        options: dict. The parsed options.json of a bilm-tf / AllenNLP ELMo.
        source: str. Where the options came from, named in errors.

    Returns:
        A deep copy of `options` with optional keys filled in
        (`n_highway` 0, `activation` "relu", `max_characters_per_token` 50,
        `n_layers` 1, clips `None`, `use_skip_connections` False).

    Raises:
        ValueError: naming the missing or invalid field.

    Example:

    >>> options = validate_options(json.load(open("options.json")))
    """
    if not isinstance(options, dict):
        raise ValueError(
            f"ELMo options{f' in {source}' if source else ''} must be a JSON "
            f"object. Received: {type(options).__name__}"
        )
    options = copy.deepcopy(options)
    for section, keys in _REQUIRED.items():
        if not isinstance(options.get(section), dict):
            _fail(source, section, "is missing (it must be an object).")
        for key in keys:
            if key not in options[section]:
                _fail(source, f"{section}.{key}", "is missing.")
    cnn, lstm = options["char_cnn"], options["lstm"]
    if not isinstance(cnn["embedding"], dict) or "dim" not in cnn["embedding"]:
        _fail(source, "char_cnn.embedding.dim", "is missing.")
    _positive_int(cnn["embedding"]["dim"], source, "char_cnn.embedding.dim")
    filters = cnn["filters"]
    if not isinstance(filters, list) or not filters:
        _fail(source, "char_cnn.filters", "must be a non-empty list.")
    for i, pair in enumerate(filters):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            _fail(
                source,
                f"char_cnn.filters[{i}]",
                f"must be a [width, n_filters] pair, got {pair!r}.",
            )
        _positive_int(pair[0], source, f"char_cnn.filters[{i}][0]")
        _positive_int(pair[1], source, f"char_cnn.filters[{i}][1]")
    if cnn["n_characters"] != N_CHARACTERS:
        _fail(
            source,
            "char_cnn.n_characters",
            f"must be {N_CHARACTERS} (the inference format: ids shifted by "
            f"+1, 0 = padding), got {cnn['n_characters']!r}. A training "
            "options file with 261 becomes usable by setting 262, as "
            "bilm-tf does for inference.",
        )
    cnn.setdefault("n_highway", 0)
    if cnn["n_highway"] is None:
        cnn["n_highway"] = 0
    if (
        isinstance(cnn["n_highway"], bool)
        or not isinstance(cnn["n_highway"], int)
        or cnn["n_highway"] < 0
    ):
        _fail(
            source,
            "char_cnn.n_highway",
            f"must be >= 0, got {cnn['n_highway']!r}.",
        )
    cnn.setdefault("activation", "relu")
    if cnn["activation"] not in ("relu", "tanh"):
        _fail(
            source,
            "char_cnn.activation",
            f"must be 'relu' or 'tanh', got {cnn['activation']!r}.",
        )
    cnn.setdefault("max_characters_per_token", 50)
    max_chars = _positive_int(
        cnn["max_characters_per_token"],
        source,
        "char_cnn.max_characters_per_token",
    )
    widest = max(pair[0] for pair in filters)
    if widest > max_chars:
        _fail(
            source,
            "char_cnn.filters",
            f"has a width {widest} above max_characters_per_token {max_chars}.",
        )
    _positive_int(lstm["dim"], source, "lstm.dim")
    _positive_int(lstm["projection_dim"], source, "lstm.projection_dim")
    if lstm["projection_dim"] > lstm["dim"]:
        _fail(
            source,
            "lstm.projection_dim",
            f"({lstm['projection_dim']}) must not exceed lstm.dim "
            f"({lstm['dim']}).",
        )
    lstm.setdefault("n_layers", 1)
    _positive_int(lstm["n_layers"], source, "lstm.n_layers")
    lstm["cell_clip"] = _optional_clip(
        lstm.get("cell_clip"), source, "lstm.cell_clip"
    )
    lstm["proj_clip"] = _optional_clip(
        lstm.get("proj_clip"), source, "lstm.proj_clip"
    )
    skip = lstm.setdefault("use_skip_connections", False)
    if not isinstance(skip, bool):
        _fail(
            source,
            "lstm.use_skip_connections",
            f"must be true or false, got {skip!r}.",
        )
    return options


def read_options(options_file):
    """Read and validate an options.json file.

    Args:
        options_file: str or path-like. The JSON file.

    Returns:
        The validated options dict (see `validate_options`).

    Example:

    >>> options = read_options("elmo_options.json")
    """
    options_file = os.fspath(options_file)
    if not os.path.isfile(options_file):
        raise FileNotFoundError(f"ELMo options file not found: {options_file}")
    with open(options_file, encoding="utf-8") as f:
        try:
            options = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"ELMo options file {options_file} is not valid JSON: {error}"
            ) from None
    return validate_options(options, source=options_file)


# The architecture arguments of `keras_elmo.ELMo`, in the order of its
# constructor, and where each lives in options.json.
CONFIG_FIELDS = {
    "filters": ("char_cnn", "filters"),
    "character_embedding_dim": ("char_cnn", "embedding", "dim"),
    "num_highway_layers": ("char_cnn", "n_highway"),
    "activation": ("char_cnn", "activation"),
    "num_characters": ("char_cnn", "n_characters"),
    "max_characters_per_token": ("char_cnn", "max_characters_per_token"),
    "lstm_units": ("lstm", "dim"),
    "projection_dim": ("lstm", "projection_dim"),
    "num_layers": ("lstm", "n_layers"),
    "cell_clip": ("lstm", "cell_clip"),
    "projection_clip": ("lstm", "proj_clip"),
    "use_skip_connections": ("lstm", "use_skip_connections"),
}


def options_to_config(options, source=None):
    """The `keras_elmo.ELMo` arguments of an original options dict.

    Args:
        options: dict. The parsed options.json of a bilm-tf / AllenNLP ELMo
            (validated here; see `validate_options`).
        source: str. Where the options came from, named in errors.

    Returns:
        A dict of the architecture arguments of `ELMo` (see
        `CONFIG_FIELDS`), so that `ELMo(**options_to_config(options))`
        builds the model the file describes.

    Example:

    >>> config = options_to_config(read_options("elmo_options.json"))
    >>> model = keras_elmo.ELMo(**config)
    """
    options = validate_options(options, source=source)
    config = {}
    for name, path in CONFIG_FIELDS.items():
        value = options
        for key in path:
            value = value[key]
        config[name] = value
    config["filters"] = [list(pair) for pair in config["filters"]]
    return config


def config_to_options(config):
    """The original options dict of `keras_elmo.ELMo` arguments.

    The inverse of `options_to_config`: other keys of `config` (`dropout`,
    `stateful`, `name`, ... of `ELMo.get_config()`) are ignored, since
    options.json has no field for them.

    Args:
        config: dict. `ELMo` arguments, e.g. `model.get_config()`.

    Returns:
        A validated options dict, as written to options.json.

    Raises:
        ValueError: naming a missing architecture argument.

    Example:

    >>> write_options(config_to_options(model.get_config()), "options.json")
    """
    options = {"char_cnn": {}, "lstm": {}}
    for name, path in CONFIG_FIELDS.items():
        if name not in config:
            raise ValueError(
                f"The ELMo config has no `{name}`, which options.json needs "
                f"(as {'.'.join(path)}). Received keys: {sorted(config)}"
            )
        section = options
        for key in path[:-1]:
            section = section.setdefault(key, {})
        section[path[-1]] = config[name]
    options["char_cnn"]["filters"] = [
        [int(w), int(n)] for w, n in config["filters"]
    ]
    return validate_options(options)


def write_options(options, options_file):
    """Write options in the original options.json format, atomically.

    Args:
        options: dict. Validated options.
        options_file: str or path-like. Destination.

    Example:

    >>> write_options(model.options, "options.json")
    """
    options = validate_options(options)
    with atomic_path(options_file) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(options, f, indent=2, sort_keys=True)
            f.write("\n")
