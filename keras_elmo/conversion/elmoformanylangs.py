"""ELMoForManyLangs model directories -> `ELMo` arguments and weights.

HIT-SCIR's ELMoForManyLangs released ELMo models for 44 languages as
directories of:

- `config.json`: `{"config_path": "<name>.json", ...}`, naming the
  architecture file. That file may sit in the model directory, or be one of
  the `elmoformanylangs` package's `configs/` (the released models name
  `cnn_50_100_512_4096_sample.json`, whose values are in `KNOWN_CONFIGS`,
  so a released directory loads without the package).
- `char.dic`, `word.dic`: `token<TAB>id` a line. The original strips each
  line before splitting it, so the ideographic space U+3000 (whitespace to
  `str.strip`) leaves a line of one field; such a line means U+3000.
- `token_embedder.pkl`, `encoder.pkl`: PyTorch `state_dict`s, read without
  torch by `keras_elmo.conversion.torch_pickle`.

The architecture is ELMo's with three differences from bilm-tf, each an
option of the same layers (not a copy): a character vocabulary
(`num_characters` from `char.dic`; ids made by
`keras_elmo.preprocessing.VocabularyCharacterTokenizer`), an optional word
embedding concatenated before the CNN projection
(`word_vocabulary_size`, `word_embedding_dim`), and AllenNLP's LSTM, whose
forget-gate bias is stored, not added at run time (`forget_bias=0.0`),
with skip connections between layers always on. AllenNLP's highway layer
is bilm-tf's with the gate negated; that is a weight transform (see
`weight_ports`).
"""

import copy
import dataclasses
import json
import os
from collections.abc import Callable

import numpy as np

from keras_elmo.conversion.torch_pickle import TorchPickleError
from keras_elmo.conversion.torch_pickle import load_torch_state_dict
from keras_elmo.layers.bi_lm import DIRECTIONS
from keras_elmo.preprocessing.vocabulary_character_tokenizer import (
    VocabularyCharacterTokenizer,
)

CONFIG_FILE = "config.json"
CHAR_DICT_FILE = "char.dic"
WORD_DICT_FILE = "word.dic"
TOKEN_EMBEDDER_FILE = "token_embedder.pkl"
ENCODER_FILE = "encoder.pkl"
# A dictionary line of one field is this character (see the module doc).
IDEOGRAPHIC_SPACE = "\u3000"
SPECIAL_CHARACTERS = ("<bow>", "<eow>", "<oov>", "<pad>", "<bos>", "<eos>")
SPECIAL_WORDS = ("<oov>", "<pad>", "<bos>", "<eos>")

# `elmoformanylangs/configs/cnn_50_100_512_4096_sample.json` (package
# 0.0.4.post2), the architecture of every released model. The package's
# `cnn_0_100_512_4096_sample.json` holds the same values.
RELEASED_CONFIG = {
    "encoder": {
        "name": "elmo",
        "projection_dim": 512,
        "cell_clip": 3,
        "proj_clip": 3,
        "dim": 4096,
        "n_layers": 2,
    },
    "token_embedder": {
        "name": "cnn",
        "activation": "relu",
        "filters": [
            [1, 32],
            [2, 32],
            [3, 64],
            [4, 128],
            [5, 256],
            [6, 512],
            [7, 1024],
        ],
        "n_highway": 2,
        "word_dim": 100,
        "char_dim": 50,
        "max_characters_per_token": 50,
    },
    "classifier": {"name": "sampled_softmax", "n_samples": 8192},
    "dropout": 0.1,
}
KNOWN_CONFIGS = {
    "cnn_50_100_512_4096_sample.json": RELEASED_CONFIG,
    "cnn_0_100_512_4096_sample.json": RELEASED_CONFIG,
}


def is_elmoformanylangs_dir(path):
    """Whether `path` looks like an ELMoForManyLangs model directory.

    Args:
        path: str or path-like.

    Returns:
        True if it holds `config.json` with a `config_path` and the two
        `.pkl` files.

    Example:

    >>> is_elmoformanylangs_dir("ko.model")
    True
    """
    path = os.fspath(path)
    if not all(
        os.path.isfile(os.path.join(path, name))
        for name in (CONFIG_FILE, TOKEN_EMBEDDER_FILE, ENCODER_FILE)
    ):
        return False
    try:
        with open(os.path.join(path, CONFIG_FILE), encoding="utf-8") as f:
            return "config_path" in json.load(f)
    except (OSError, ValueError, TypeError):
        return False


def read_dictionary(path, required=()):
    """Read a `char.dic` / `word.dic` as the original code does.

    Each line is stripped, then split on tabs; a line left with one field
    is the ideographic space U+3000 (which `strip` removed); a later line
    for the same token wins.

    Args:
        path: str. The dictionary file.
        required: tokens that must be present (the special tokens).

    Returns:
        A dict token -> id.

    Raises:
        FileNotFoundError: if the file is missing.
        ValueError: naming the file and line of a malformed entry, or a
            missing special token.

    Example:

    >>> read_dictionary("ko.model/char.dic")["<bow>"]
    0
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"ELMoForManyLangs dictionary not found: {path}"
        )
    vocabulary = {}
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text ({error}).") from None
    # The original iterates a `codecs` reader, which breaks lines where
    # `str.splitlines` does (also at U+2028, U+0085, ...), not only at \n.
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        fields = line.strip().split("\t")
        if len(fields) == 1:
            fields.insert(0, IDEOGRAPHIC_SPACE)
        if len(fields) != 2 or not fields[1].lstrip("-").isdigit():
            raise ValueError(
                f"{path}, line {number}: expected 'token<TAB>id', "
                f"received {line!r}."
            )
        token, index = fields[0], int(fields[1])
        if index < 0:
            raise ValueError(f"{path}, line {number}: negative id {index}.")
        vocabulary[token] = index
    missing = [token for token in required if token not in vocabulary]
    if missing:
        raise ValueError(
            f"{path} lacks the special tokens {missing} (an ELMoForManyLangs "
            f"dictionary has {list(required)})."
        )
    return vocabulary


def read_config(model_dir):
    """The architecture config of a model directory, found as the original.

    `config.json`'s `config_path` is tried relative to the directory, then
    its file name in the directory, then among `KNOWN_CONFIGS`.

    Args:
        model_dir: str. The model directory.

    Returns:
        `(config, source)`: the architecture dict and where it came from.

    Example:

    >>> config, source = read_config("ko.model")
    >>> config["encoder"]["dim"]
    4096
    """
    model_dir = os.fspath(model_dir)
    pointer_file = os.path.join(model_dir, CONFIG_FILE)
    if not os.path.isfile(pointer_file):
        raise FileNotFoundError(
            f"{pointer_file} not found: an ELMoForManyLangs model directory "
            "has config.json naming its config file."
        )
    try:
        with open(pointer_file, encoding="utf-8") as f:
            config_path = json.load(f)["config_path"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{pointer_file} must be JSON with a 'config_path' ({error!r})."
        ) from None
    name = os.path.basename(str(config_path))
    for candidate in (
        os.path.join(model_dir, str(config_path)),
        os.path.join(model_dir, name),
    ):
        if os.path.isfile(candidate):
            try:
                with open(candidate, encoding="utf-8") as f:
                    return json.load(f), candidate
            except ValueError as error:
                raise ValueError(
                    f"{candidate} is not valid JSON ({error})."
                ) from None
    if name in KNOWN_CONFIGS:
        return copy.deepcopy(KNOWN_CONFIGS[name]), f"known config {name}"
    raise FileNotFoundError(
        f"The config {config_path!r} named in {pointer_file} is neither in "
        f"{model_dir} nor one of the known configs {sorted(KNOWN_CONFIGS)}."
    )


def _field(config, source, *path):
    value = config
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise ValueError(f"{source} has no '{'.'.join(path)}'.")
        value = value[key]
    return value


def config_to_arguments(config, num_characters, num_words, source="config"):
    """The `ELMo` / layer arguments of an ELMoForManyLangs config.

    Args:
        config: dict. The architecture config (see `read_config`).
        num_characters: int. Entries of `char.dic` (rows of the character
            embedding in the weights).
        num_words: int. Entries of `word.dic`, or 0 without one.
        source: str. Where the config came from, named in errors.

    Returns:
        A dict of architecture arguments (the names of `ELMo`'s
        constructor); ids are shifted by +1, so the tables get one more
        row (padding, id 0) than the dictionaries.

    Example:

    >>> args = config_to_arguments(RELEASED_CONFIG, 3000, 50000)
    >>> args["word_embedding_dim"], args["forget_bias"]
    (100, 0.0)
    """
    token = _field(config, source, "token_embedder")
    encoder = _field(config, source, "encoder")
    if str(_field(config, source, "token_embedder", "name")).lower() != "cnn":
        raise ValueError(
            f"{source}: token_embedder.name={token['name']!r}; only the "
            "'cnn' token embedder (that of every released model) is "
            "supported."
        )
    if str(_field(config, source, "encoder", "name")).lower() != "elmo":
        raise ValueError(
            f"{source}: encoder.name={encoder['name']!r}; only the 'elmo' "
            "encoder (that of every released model) is supported."
        )
    char_dim = int(_field(config, source, "token_embedder", "char_dim"))
    if char_dim <= 0:
        raise ValueError(
            f"{source}: token_embedder.char_dim={char_dim}; models without "
            "a character CNN are not supported."
        )
    word_dim = int(token.get("word_dim", 0) or 0)
    filters = [
        [int(w), int(n)]
        for w, n in _field(config, source, "token_embedder", "filters")
    ]
    projection_dim = int(_field(config, source, "encoder", "projection_dim"))
    dim = int(_field(config, source, "encoder", "dim"))
    if word_dim + sum(n for _, n in filters) == projection_dim:
        raise ValueError(
            f"{source}: the token features ({word_dim} + filters) equal "
            f"projection_dim={projection_dim}; keras_elmo then skips the "
            "token projection that ELMoForManyLangs always has."
        )
    if projection_dim >= dim:
        raise ValueError(
            f"{source}: encoder.projection_dim={projection_dim} must be "
            f"below encoder.dim={dim}."
        )
    if word_dim > 0 and num_words <= 0:
        raise ValueError(f"{source}: word_dim={word_dim} but no word.dic.")

    def clip(value):
        # AllenNLP clips only when the value is truthy (0 = no clip).
        return float(value) if value else None

    return {
        "filters": filters,
        "character_embedding_dim": char_dim,
        "num_highway_layers": int(
            _field(config, source, "token_embedder", "n_highway")
        ),
        "activation": str(
            _field(config, source, "token_embedder", "activation")
        ),
        "num_characters": int(num_characters) + 1,
        "max_characters_per_token": int(
            _field(config, source, "token_embedder", "max_characters_per_token")
        ),
        "word_vocabulary_size": int(num_words) + 1 if word_dim > 0 else 0,
        "word_embedding_dim": word_dim,
        "lstm_units": dim,
        "projection_dim": projection_dim,
        "num_layers": int(_field(config, source, "encoder", "n_layers")),
        "cell_clip": clip(encoder.get("cell_clip")),
        "projection_clip": clip(encoder.get("proj_clip")),
        # ElmobiLm adds every layer's input to its output above layer 0.
        "use_skip_connections": True,
        # AllenNLP's LSTM stores its forget bias (initialised to 1.0 and
        # trained) in state_linearity.bias; TF1 adds 1.0 at run time.
        "forget_bias": 0.0,
    }


def arguments_to_config(arguments):
    """The ELMoForManyLangs config of `ELMo` arguments (`config_to_arguments`
    inverted, for the architecture fields).

    The released archives lack the config file that their `config.json`
    names (ELMoForManyLangs issue 27); a preset entry documents the
    architecture as `ELMo` arguments, and this writes it back in the
    format the original loader reads.

    Args:
        arguments: dict of `ELMo` architecture arguments (the vocabulary
            sizes are not needed).

    Returns:
        A config dict (`encoder`, `token_embedder`).

    Example:

    >>> arguments_to_config(config_to_arguments(RELEASED_CONFIG, 3, 5))[
    ...     "encoder"]["dim"]
    4096
    """

    def clip(value):
        return 0 if value is None else value

    return {
        "encoder": {
            "name": "elmo",
            "projection_dim": int(arguments["projection_dim"]),
            "cell_clip": clip(arguments.get("cell_clip")),
            "proj_clip": clip(arguments.get("projection_clip")),
            "dim": int(arguments["lstm_units"]),
            "n_layers": int(arguments["num_layers"]),
        },
        "token_embedder": {
            "name": "cnn",
            "activation": arguments.get("activation", "relu"),
            "filters": [[int(w), int(n)] for w, n in arguments["filters"]],
            "n_highway": int(arguments["num_highway_layers"]),
            "word_dim": int(arguments.get("word_embedding_dim", 0)),
            "char_dim": int(arguments["character_embedding_dim"]),
            "max_characters_per_token": int(
                arguments["max_characters_per_token"]
            ),
        },
    }


def supply_config(model_dir, arguments=None):
    """Write the config file that a model directory's `config.json` names,
    if it is missing (the released archives lack it, issue 27).

    The file is written under its own name in the model directory, and
    `config_path` is set to that name, so that the directory loads in
    ELMoForManyLangs itself too (`config_path` in the archives is an
    absolute path on the authors' machine). Its content is `arguments`
    (the architecture a preset entry documents) or, without them, the
    known config of that name (`KNOWN_CONFIGS`).

    Args:
        model_dir: str or path-like. The model directory (writable).
        arguments: dict of `ELMo` arguments, or `None`.

    Returns:
        The name of the file written, or `None` if none was needed.

    Raises:
        FileNotFoundError: no `config.json`, or a missing config that is
            neither given nor known.

    Example:

    >>> supply_config("ko_model")  # writes cnn_50_100_512_4096_sample.json
    'cnn_50_100_512_4096_sample.json'
    """
    model_dir = os.fspath(model_dir)
    pointer_file = os.path.join(model_dir, CONFIG_FILE)
    try:
        with open(pointer_file, encoding="utf-8") as f:
            pointer = json.load(f)
        config_path = str(pointer["config_path"])
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{pointer_file} not found: an ELMoForManyLangs model directory "
            "has config.json naming its config file."
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{pointer_file} must be JSON with a 'config_path' ({error!r})."
        ) from None
    name = os.path.basename(config_path.replace("\\", "/"))
    if not name or name == CONFIG_FILE:
        raise ValueError(
            f"{pointer_file}: 'config_path' must name a config file. "
            f"Received: {config_path!r}"
        )
    if os.path.isfile(os.path.join(model_dir, name)):
        found = True
    else:
        found = not os.path.isabs(config_path) and os.path.isfile(
            os.path.join(model_dir, config_path)
        )
    if found:
        return None
    if arguments is not None:
        config = arguments_to_config(arguments)
    elif name in KNOWN_CONFIGS:
        config = copy.deepcopy(KNOWN_CONFIGS[name])
    else:
        raise FileNotFoundError(
            f"The config {config_path!r} named in {pointer_file} is missing "
            f"and is not one of the known configs {sorted(KNOWN_CONFIGS)}; "
            "put it in the model directory."
        )
    with open(os.path.join(model_dir, name), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    pointer["config_path"] = name
    with open(pointer_file, "w", encoding="utf-8") as f:
        json.dump(pointer, f, indent=2)
    return name


@dataclasses.dataclass(frozen=True)
class Port:
    """One state-dict tensor and the variables it fills.

    Attributes:
        file: `TOKEN_EMBEDDER_FILE` or `ENCODER_FILE`.
        key: the state-dict key.
        variables: the Keras variables it fills, in order.
        to_keras: array from the file -> list of arrays, one per variable.
        file_shape: the shape the file must have.
    """

    file: str
    key: str
    variables: list
    to_keras: Callable
    file_shape: tuple


def _with_padding_row(array):
    # Model ids are dictionary ids + 1 (0 marks an absent token): prepend a
    # zero row for id 0.
    return [np.concatenate([np.zeros_like(array[:1]), array], axis=0)]


def _transposed(array):
    # torch.nn.Linear stores (out, in) and computes x W^T + b; Keras Dense
    # and the LSTM kernels store (in, out).
    return [array.T]


def weight_ports(model):
    """The conversion table of an `ELMo` built from an ELMoForManyLangs config.

    Args:
        model: an object with `char_cnn` (`CharCNNEncoder`) and `bilm`
            (`BiLM`), e.g. a `keras_elmo.ELMo`.

    Returns:
        A list of `Port`, one per state-dict tensor.

    Example:

    >>> [port.key for port in weight_ports(model)][:2]
    ['char_emb_layer.embedding.weight', 'word_emb_layer.embedding.weight']
    """
    encoder, bilm = model.char_cnn, model.bilm
    token, lstm_file = TOKEN_EMBEDDER_FILE, ENCODER_FILE

    def shape(variable, transform=None):
        rows = tuple(variable.shape)
        return transform(rows) if transform else rows

    def less_one_row(rows):
        return (rows[0] - 1,) + rows[1:]

    ports = [
        Port(
            token,
            "char_emb_layer.embedding.weight",
            [encoder.char_embed.embeddings],
            _with_padding_row,
            shape(encoder.char_embed.embeddings, less_one_row),
        )
    ]
    if encoder.word_embed is not None:
        ports.append(
            Port(
                token,
                "word_emb_layer.embedding.weight",
                [encoder.word_embed.embeddings],
                _with_padding_row,
                shape(encoder.word_embed.embeddings, less_one_row),
            )
        )
    for i, convolution in enumerate(encoder.convolutions):
        # torch Conv1d kernels are (out, in, width); Keras Conv1D's are
        # (width, in, out).
        ports.append(
            Port(
                token,
                f"convolutions.{i}.weight",
                [convolution.kernel],
                lambda a: [np.transpose(a, (2, 1, 0))],
                tuple(reversed(convolution.kernel.shape)),
            )
        )
        ports.append(
            Port(
                token,
                f"convolutions.{i}.bias",
                [convolution.bias],
                lambda a: [a],
                tuple(convolution.bias.shape),
            )
        )
    dim = encoder.num_filters
    for k, highway in enumerate(encoder.highways):
        # AllenNLP: [A; B] = Linear(x) (rows 0:d the transform A, rows d:2d
        # the gate B), g = sigmoid(B x), y = g * x + (1 - g) * relu(A x).
        # bilm-tf (`Highway`): g' = sigmoid(W_carry x + b_carry),
        # y = g' * relu(W_transform x + b_transform) + (1 - g') * x.
        # With W_carry = -B and b_carry = -b_B, g' = sigmoid(-B x) = 1 - g:
        # the same layer, the gate negated.
        ports.append(
            Port(
                token,
                f"highways._layers.{k}.weight",
                [highway.transform_kernel, highway.carry_kernel],
                lambda w, d=dim: [w[:d].T, -w[d:].T],
                (2 * dim, dim),
            )
        )
        ports.append(
            Port(
                token,
                f"highways._layers.{k}.bias",
                [highway.transform_bias, highway.carry_bias],
                lambda b, d=dim: [b[:d], -b[d:]],
                (2 * dim,),
            )
        )
    # The projection's input is concat(word embedding, CNN features) in
    # both, so its kernel is a plain transpose.
    ports.append(
        Port(
            token,
            "projection.weight",
            [encoder.projection.kernel],
            _transposed,
            tuple(reversed(encoder.projection.kernel.shape)),
        )
    )
    ports.append(
        Port(
            token,
            "projection.bias",
            [encoder.projection.bias],
            lambda a: [a],
            tuple(encoder.projection.bias.shape),
        )
    )
    for direction in DIRECTIONS:
        for i, lstm in enumerate(bilm.lstms[direction]):
            prefix = f"{direction}_layer_{i}"
            # AllenNLP's gate order (input, forget, memory, output) is the
            # Keras order (i, f, c, o): no permutation, unlike TF1's.
            for name, variable in (
                ("input_linearity.weight", lstm.kernel),
                ("state_linearity.weight", lstm.recurrent_kernel),
                ("state_projection.weight", lstm.projection_kernel),
            ):
                ports.append(
                    Port(
                        lstm_file,
                        f"{prefix}.{name}",
                        [variable],
                        _transposed,
                        tuple(reversed(variable.shape)),
                    )
                )
            # Only state_linearity has a bias (the forget gate's +1.0 is in
            # it, hence forget_bias=0.0); input_linearity has none.
            ports.append(
                Port(
                    lstm_file,
                    f"{prefix}.state_linearity.bias",
                    [lstm.bias],
                    lambda a: [a],
                    tuple(lstm.bias.shape),
                )
            )
    return ports


@dataclasses.dataclass
class ElmoForManyLangsModel:
    """Everything read from a model directory, before any model is built.

    Attributes:
        model_dir: the directory.
        config: the architecture config; `config_source` says where from.
        arguments: `ELMo` architecture arguments (`config_to_arguments`).
        characters: `char.dic` as token -> id.
        words: `word.dic` as token -> id, or `None`.
        state_dicts: file name -> {key: array} of the two `.pkl` files.
    """

    model_dir: str
    config: dict
    config_source: str
    arguments: dict
    characters: dict
    words: dict
    state_dicts: dict


def read_elmoformanylangs(model_dir):
    """Read an ELMoForManyLangs model directory (no model is built).

    Args:
        model_dir: str or path-like.

    Returns:
        An `ElmoForManyLangsModel`.

    Raises:
        FileNotFoundError / ValueError: naming the missing or bad file (and
            line or key).

    Example:

    >>> read_elmoformanylangs("ko.model").arguments["lstm_units"]
    4096
    """
    model_dir = os.fspath(model_dir)
    if not os.path.isdir(model_dir):
        raise FileNotFoundError(f"No such model directory: {model_dir}")
    config, source = read_config(model_dir)
    characters = read_dictionary(
        os.path.join(model_dir, CHAR_DICT_FILE), SPECIAL_CHARACTERS
    )
    word_dim = int(_field(config, source, "token_embedder").get("word_dim", 0))
    words = None
    if word_dim > 0:
        words = read_dictionary(
            os.path.join(model_dir, WORD_DICT_FILE), SPECIAL_WORDS
        )
    arguments = config_to_arguments(
        config, len(characters), len(words or ()), source
    )
    for path, vocabulary in (
        (CHAR_DICT_FILE, characters),
        (WORD_DICT_FILE, words),
    ):
        if vocabulary and max(vocabulary.values()) >= len(vocabulary):
            raise ValueError(
                f"{os.path.join(model_dir, path)}: ids must be below the "
                f"number of entries ({len(vocabulary)}); found "
                f"{max(vocabulary.values())}."
            )
    state_dicts = {}
    for name in (TOKEN_EMBEDDER_FILE, ENCODER_FILE):
        path = os.path.join(model_dir, name)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"ELMoForManyLangs weights not found: {path}"
            )
        state_dicts[name] = load_torch_state_dict(path)
    return ElmoForManyLangsModel(
        model_dir, config, source, arguments, characters, words, state_dicts
    )


def load_elmoformanylangs_weights(model, source):
    """Fill a model from the state dicts of an `ElmoForManyLangsModel`.

    Every tensor is checked (present, right shape, nothing left over)
    before any variable changes, so a mismatch leaves the model untouched.

    Args:
        model: a `keras_elmo.ELMo` built from `source.arguments`.
        source: an `ElmoForManyLangsModel`.

    Raises:
        ValueError: naming the file, the key and both shapes.

    Example:

    >>> load_elmoformanylangs_weights(model, read_elmoformanylangs(path))
    """
    ports = weight_ports(model)
    arrays = []
    used = {name: set() for name in source.state_dicts}
    for port in ports:
        path = os.path.join(source.model_dir, port.file)
        state = source.state_dicts[port.file]
        if port.key not in state:
            raise ValueError(
                f"{path} has no tensor '{port.key}', which the config "
                f"({source.config_source}) requires."
            )
        array = state[port.key]
        if tuple(array.shape) != tuple(port.file_shape):
            raise ValueError(
                f"Tensor '{port.key}' in {path} has shape "
                f"{tuple(array.shape)}; the config ({source.config_source}) "
                f"and dictionaries require {tuple(port.file_shape)}."
            )
        used[port.file].add(port.key)
        arrays.append(port.to_keras(np.asarray(array, "float32")))
    for name, state in source.state_dicts.items():
        extra = [key for key in state if key not in used[name]]
        if extra:
            raise ValueError(
                f"{os.path.join(source.model_dir, name)} has tensors the "
                f"config ({source.config_source}) does not use: {extra}."
            )
    for port, values in zip(ports, arrays):
        for variable, value in zip(port.variables, values):
            variable.assign(value.astype(variable.dtype))


def elmoformanylangs_tokenizer(source):
    """The `VocabularyCharacterTokenizer` that makes a model's inputs.

    Args:
        source: an `ElmoForManyLangsModel`, or a model directory.

    Returns:
        A `VocabularyCharacterTokenizer` with the model's `char.dic`,
        `word.dic` and `max_characters_per_token`.

    Example:

    ```python
    tokenizer = elmoformanylangs_tokenizer("ko.model")
    ids = tokenizer.batch_to_ids([["나는", "학교", "에", "간다"]])
    ```
    """
    if not isinstance(source, ElmoForManyLangsModel):
        model_dir = os.fspath(source)
        config, config_source = read_config(model_dir)
        embedder = _field(config, config_source, "token_embedder")
        characters = read_dictionary(
            os.path.join(model_dir, CHAR_DICT_FILE), SPECIAL_CHARACTERS
        )
        words = None
        if int(embedder.get("word_dim", 0) or 0) > 0:
            words = read_dictionary(
                os.path.join(model_dir, WORD_DICT_FILE), SPECIAL_WORDS
            )
        max_chars = _field(
            config, config_source, "token_embedder", "max_characters_per_token"
        )
    else:
        characters, words = source.characters, source.words
        max_chars = source.arguments["max_characters_per_token"]
    return VocabularyCharacterTokenizer(
        characters=characters,
        words=words,
        max_characters_per_token=int(max_chars),
        name="vocabulary_character_tokenizer",
    )


__all__ = [
    "CHAR_DICT_FILE",
    "ENCODER_FILE",
    "KNOWN_CONFIGS",
    "RELEASED_CONFIG",
    "TOKEN_EMBEDDER_FILE",
    "TorchPickleError",
    "WORD_DICT_FILE",
    "ElmoForManyLangsModel",
    "arguments_to_config",
    "config_to_arguments",
    "elmoformanylangs_tokenizer",
    "is_elmoformanylangs_dir",
    "load_elmoformanylangs_weights",
    "read_config",
    "read_dictionary",
    "read_elmoformanylangs",
    "supply_config",
    "weight_ports",
]
