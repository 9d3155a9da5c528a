"""Export an `ELMo` as a versioned SavedModel that TF Serving serves."""

import json
import os

from keras_elmo.export.request_checks import DEFAULT_MAX_BYTES_PER_STRING
from keras_elmo.export.request_checks import DEFAULT_MAX_TOKENS_PER_REQUEST
from keras_elmo.export.request_checks import check_character_ids
from keras_elmo.export.request_checks import check_limit
from keras_elmo.export.request_checks import check_request_size
from keras_elmo.export.request_checks import check_sentence_markers
from keras_elmo.export.request_checks import check_sequence_lengths
from keras_elmo.export.request_checks import check_string_lengths
from keras_elmo.export.serving_outputs import export_parts
from keras_elmo.export.serving_outputs import output_keys
from keras_elmo.export.serving_outputs import serving_outputs
from keras_elmo.preprocessing.elmo_character_tokenizer import (
    ELMoCharacterTokenizer,
)
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.utils.atomic import rename_no_replace
from keras_elmo.utils.atomic import temporary_directory_beside
from keras_elmo.utils.backend import EXPORT_ELSEWHERE
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.lazy_module import LazyModule
from keras_elmo.version import __version__

# TensorFlow on first use: the module imports without it (a JAX or
# PyTorch install); using it there says how to install it.
tf = LazyModule("tensorflow", feature="SavedModel export")

SIGNATURE_KEYS = ("serving_default", "tokens", "char_ids")
METADATA_FILE = os.path.join("assets.extra", "keras_elmo.json")


def _is_version_name(name):
    return name.isdigit() and str(int(name)) == name


def next_version(export_base):
    """The version after the largest one in `export_base` (1 if none).

    Only directories named by a plain integer count, as for TF Serving;
    the hidden temporary directories of exports in progress do not.

    Args:
        export_base: str or path-like. The model's base path.

    Returns:
        int.

    Example:

    >>> next_version("/nonexistent/models/elmo")
    1
    """
    export_base = os.fspath(export_base)
    if not os.path.isdir(export_base):
        return 1
    versions = [
        int(name)
        for name in os.listdir(export_base)
        if _is_version_name(name)
        and os.path.isdir(os.path.join(export_base, name))
    ]
    return max(versions, default=0) + 1


def _check_version(version):
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(
            "`version` must be an int or None. "
            f"Received: version={version!r} of type {type(version).__name__}"
        )
    if version < 0:
        raise ValueError(f"`version` must be >= 0. Received: version={version}")


def _sentence_splitter(tokenizer):
    if tokenizer is None or tokenizer == "whitespace":
        return ELMoCharacterTokenizer.split
    if callable(tokenizer):
        return tokenizer
    raise ValueError(
        "`tokenizer` must be None, 'whitespace' or a callable mapping a 1-D "
        f"tf.string tensor of sentences to a tf.RaggedTensor of tokens. "
        f"Received: tokenizer={tokenizer!r}"
    )


def _checked_tokens(tokens):
    if (
        not isinstance(tokens, tf.RaggedTensor)
        or tokens.dtype != tf.string
        or tokens.shape.rank != 2
    ):
        raise TypeError(
            "`tokenizer` must return a tf.RaggedTensor of tf.string tokens "
            "of shape [batch, (tokens)]. Received: "
            f"{type(tokens).__name__} {getattr(tokens, 'dtype', None)} "
            f"{getattr(tokens, 'shape', None)}"
        )
    return tokens


def _character_tokenizer(model, character_tokenizer):
    if character_tokenizer is None:
        return ELMoCharacterTokenizer(
            max_characters_per_token=model.max_characters_per_token,
            name="elmo_character_tokenizer",
        )
    if getattr(character_tokenizer, "ids_per_token", None) != (
        model.ids_per_token
    ):
        raise ValueError(
            "`character_tokenizer` must make the model's "
            f"{model.ids_per_token} ids per token. Received: "
            f"{character_tokenizer!r} making "
            f"{getattr(character_tokenizer, 'ids_per_token', None)}"
        )
    return character_tokenizer


def signature_functions(
    model,
    layer_mix=None,
    tokenizer=None,
    character_tokenizer=None,
    max_tokens_per_request=DEFAULT_MAX_TOKENS_PER_REQUEST,
    max_bytes_per_string=DEFAULT_MAX_BYTES_PER_STRING,
):
    """The three serving functions of an export, as `tf.function`s.

    Args:
        model: `keras_elmo.ELMo` or `keras_elmo.ELMoEmbedding`. See
            `export_saved_model`.
        layer_mix: `keras_elmo.WeightedLayerMix` or None. See
            `export_saved_model`.
        tokenizer: None, `"whitespace"` or a callable. See
            `export_saved_model`.
        character_tokenizer: a Keras layer or None. See
            `export_saved_model`.
        max_tokens_per_request: int or None. See `export_saved_model`.
        max_bytes_per_string: int or None. See `export_saved_model`.

    Returns:
        A dict with the `SIGNATURE_KEYS` as keys and `tf.function`s with
        fixed input signatures as values, and the variables they read, as
        `(functions, variables)`.

    Example:

    ```python
    functions, _ = signature_functions(model)
    functions["serving_default"](tf.constant(["Hello world"]))["elmo"]
    ```
    """
    check_limit("max_tokens_per_request", max_tokens_per_request)
    check_limit("max_bytes_per_string", max_bytes_per_string)
    model, layer_mix = export_parts(model, layer_mix)
    split = _sentence_splitter(tokenizer)
    char_tokenizer = _character_tokenizer(model, character_tokenizer)

    def run_model(char_ids):
        # Every request is bounded before the biLM runs (see
        # `keras_elmo.export.request_checks`).
        char_ids = check_request_size(char_ids, max_tokens_per_request)
        return serving_outputs(model, layer_mix, char_ids)

    def serving_default(sentences):
        sentences = check_string_lengths(
            sentences, max_bytes_per_string, "sentence"
        )
        tokens = _checked_tokens(split(sentences))  # (b, (t))
        char_ids = char_tokenizer(tokens)  # (b, t + 2, chars)
        return run_model(char_ids)

    def tokens(tokens, sequence_len):
        tokens = check_sequence_lengths(tokens, sequence_len)
        tokens = check_string_lengths(tokens, max_bytes_per_string, "token")
        char_ids = char_tokenizer(
            tokens, sequence_length=sequence_len
        )  # (b, t + 2, chars)
        return run_model(char_ids)

    def char_ids(char_ids):
        # Ids from a client are checked: the model would read a negative
        # id as a wrapped index, and an all-zero row as padding.
        char_ids = check_character_ids(
            char_ids,
            model.char_cnn.num_characters,
            model.char_cnn.word_vocabulary_size,
        )
        # The marker rows, as the tokenizer makes them for an empty
        # sentence: `[<S>, </S>]`.
        markers = char_tokenizer(tf.ragged.constant([[]], tf.string))[0]
        char_ids = check_sentence_markers(char_ids, tf.cast(markers, tf.int32))
        return run_model(char_ids)

    specs = {
        "serving_default": [tf.TensorSpec([None], tf.string, "sentences")],
        "tokens": [
            tf.TensorSpec([None, None], tf.string, "tokens"),
            tf.TensorSpec([None], tf.int32, "sequence_len"),
        ],
        "char_ids": [
            tf.TensorSpec(
                [None, None, model.ids_per_token], tf.int32, "char_ids"
            )
        ],
    }
    python_functions = {
        "serving_default": serving_default,
        "tokens": tokens,
        "char_ids": char_ids,
    }
    functions = {
        key: tf.function(
            python_functions[key], input_signature=specs[key], autograph=False
        )
        for key in SIGNATURE_KEYS
    }
    # The tf.Variables inside the Keras variables: tracking those makes the
    # checkpoint restore the variables that the functions read, also in the
    # TF1 session loader that TF Serving uses (tracking the Keras wrappers
    # restores copies that the graph never reads).
    variables = [
        variable.value for variable in model.variables + layer_mix.variables
    ]
    # Lookup tables of a vocabulary tokenizer are resources the graph reads:
    # tracked with the variables so that the SavedModel holds them.
    variables += list(getattr(char_tokenizer, "lookup_tables", ()))
    return functions, variables


def text_tokenizer_note(text_tokenizer, tokenizer=None):
    """What `serving_default` does with raw text, next to the model's tokenizer.

    `TextTokenizer` is Python (Unicode tables; the `"moses"` mode's
    abbreviation list and context rules) and no graph op reproduces it
    exactly, so the served graph never runs it: a raw sentence sent to
    `serving_default` is split by `tokenizer` (ASCII whitespace by default),
    not the way the model's corpus was. The export says so in its metadata
    (`"text_tokenizer_note"`) and `keras-elmo export` prints it.

    Example:

    >>> text_tokenizer_note(TextTokenizer(mode="moses"))  # doctest: +ELLIPSIS
    "serving_default splits raw sentences on ASCII whitespace ..."
    """
    split = (
        "on ASCII whitespace"
        if tokenizer is None or tokenizer == "whitespace"
        else "with the export's `tokenizer` callable"
    )
    return (
        f"serving_default splits raw sentences {split} and does not run "
        f"the model's text tokenizer (mode {text_tokenizer.mode!r}): send "
        "text tokenized by assets.extra/text_tokenizer.json "
        "(keras_elmo.TextTokenizer.load), as the training corpus was."
    )


def _options_if_any(model):
    # Models with a character vocabulary (ELMoForManyLangs) have no
    # options.json form; "config" describes every model.
    try:
        return {"options": model.options}
    except ValueError:
        return {}


def _metadata(model, functions, limits):
    signatures = {}
    for key, function in functions.items():
        concrete = function.get_concrete_function()
        inputs = concrete.structured_input_signature[0]
        signatures[key] = {
            "inputs": {
                spec.name: [spec.dtype.name, spec.shape.as_list()]
                for spec in inputs
            },
            "outputs": list(output_keys(model.num_layers)),
        }
    return {
        "keras_elmo_version": __version__,
        "config": {
            key: value
            for key, value in model.get_config().items()
            if key not in ("dtype", "name", "trainable")
        },
        **_options_if_any(model),
        "signatures": signatures,
        "limits": limits,
    }


def export_saved_model(
    model,
    export_base,
    version=None,
    layer_mix=None,
    tokenizer=None,
    character_tokenizer=None,
    text_tokenizer=None,
    max_tokens_per_request=DEFAULT_MAX_TOKENS_PER_REQUEST,
    max_bytes_per_string=DEFAULT_MAX_BYTES_PER_STRING,
):
    """Write `model` as version `version` of a TF Serving model directory.

    The SavedModel goes to `export_base/<version>/`, the layout that TF
    Serving watches. It is written into a hidden directory beside it and
    renamed when complete, so a server never sees a half-written version.
    The rename claims the version: it never replaces an existing one, so
    concurrent exports with `version=None` get distinct numbers (the one
    that loses a race takes the next number).
    The graph uses only core TensorFlow ops (no `tensorflow_text`), so it
    loads in any TF Serving build and with `tf.saved_model.load` or the TF1
    `tf.compat.v1.saved_model.loader.load`.

    Signatures (all with the same outputs):
    - `serving_default`: `sentences`, 1-D `tf.string` of raw sentences,
      split into tokens in the graph (by `tokenizer`).
    - `tokens`: `tokens` `[batch, tokens]` `tf.string` padded with `""`, and
      `sequence_len` int32 `[batch]`, the number of tokens of each row
      (checked in the graph: one entry per row, each in `[0, tokens]`).
    - `char_ids`: `char_ids` int32 `[batch, tokens + 2, ids_per_token]`
      with sentence markers, as `keras_elmo.batch_to_char_ids` (or the
      model's `character_tokenizer`) makes. Ids are checked in the graph
      (range, token rows, padding last, the `<S>` / `</S>` marker rows; see
      `keras_elmo.export.request_checks`).

    Every signature rejects a request over the size limits with
    `INVALID_ARGUMENT` before the biLM runs.

    Outputs, named as TF-Hub's ELMo module's, cover the sentences' own
    tokens (no `<S>`/`</S>`), padded to the longest sentence (to the input
    width for `tokens`): `word_emb`, `lstm_outputs1` ... `lstm_outputs{n}`,
    `elmo`, `default` (mean of `elmo` over the tokens), `sequence_len`,
    `mask`. See `keras_elmo.export.serving_outputs.serving_outputs`.

    Args:
        model: `keras_elmo.ELMo` (a stateful one is exported stateless),
            or a `keras_elmo.ELMoEmbedding` with one output: its biLM and
            its trained layer mix are exported.
        export_base: str or path-like. The model's base path (TF Serving's
            `base_path`); created if missing.
        version: int or None. The version number; `None` takes the next
            one after the largest existing version (1 in a new directory).
            An existing version is never overwritten.
        layer_mix: `keras_elmo.WeightedLayerMix` or None. The mix of the
            `elmo` output, over the `num_layers + 1` biLM layers (e.g. the
            trained mix of a task model). `None` gives the mix of an
            `ELMoEmbedding`, or for an `ELMo` a fresh mix with equal
            weights and `gamma = 1`, as TF-Hub's module at initialisation.
        tokenizer: None, `"whitespace"` or a callable. How
            `serving_default` splits sentences: `None` and `"whitespace"`
            split on runs of ASCII whitespace; a callable maps a 1-D
            `tf.string` tensor of sentences to a `tf.RaggedTensor`
            `[batch, (tokens)]` of `tf.string` tokens (use core TF ops only
            to keep the export loadable by stock TF Serving).
        character_tokenizer: a Keras layer or None. Turns tokens into the
            model's ids in the `serving_default` and `tokens` signatures
            (called on a ragged `[batch, (tokens)]`, and on a dense batch
            with `sequence_length=`); `None` is `ELMoCharacterTokenizer`
            (UTF-8 bytes, bilm-tf models). ELMoForManyLangs models pass
            their `VocabularyCharacterTokenizer` (core `tf.lookup` tables).
        text_tokenizer: `keras_elmo.TextTokenizer` or None. The client-side
            tokenizer of the model (not part of the graph): recorded as
            `assets.extra/text_tokenizer.json` and under `"text_tokenizer"` in
            `assets.extra/keras_elmo.json`, so that clients tokenize raw
            text as the model's corpus was (`TextTokenizer.load(
            version_dir + "/assets.extra")`).
        max_tokens_per_request: int or None. Most token positions one
            request may compute: sentences x (longest sentence + 2
            markers), the `char_ids` shape `[batch, tokens]`. `None`: no
            limit. Defaults to `4096`.
        max_bytes_per_string: int or None. Longest sentence of
            `serving_default` and longest token of `tokens`, in bytes.
            `None`: no limit. Defaults to `65536`.

    Returns:
        str, the path of the version directory written.

    Raises:
        FileExistsError: `version` exists already.
        NotADirectoryError: `export_base` (or a parent) is a file.

    Example:

    ```python
    model = keras_elmo.ELMo.from_bilm_hdf5("options.json", "weights.hdf5")
    path = keras_elmo.export.export_saved_model(model, "/models/elmo")
    # /models/elmo/1, served by
    # tensorflow_model_server --model_name=elmo --model_base_path=/models/elmo
    ```
    """
    require_tensorflow_backend(
        "SavedModel export",
        EXPORT_ELSEWHERE,
    )
    export_base = os.path.abspath(os.fspath(export_base))
    _check_export_base(export_base)
    if version is not None:
        _check_version(version)
        _check_free(export_base, version)
    if text_tokenizer is not None and not isinstance(
        text_tokenizer, TextTokenizer
    ):
        raise TypeError(
            "`text_tokenizer` must be a keras_elmo.TextTokenizer or None. "
            f"Received: text_tokenizer={text_tokenizer!r}"
        )
    model, layer_mix = export_parts(model, layer_mix)
    limits = {
        "max_tokens_per_request": max_tokens_per_request,
        "max_bytes_per_string": max_bytes_per_string,
    }
    functions, variables = signature_functions(
        model, layer_mix, tokenizer, character_tokenizer, **limits
    )
    module = tf.Module()
    # Keras variables are tracked through these lists (the layers' own
    # attributes are not all visible to TensorFlow's object graph).
    module.exported_variables = variables
    for key, function in functions.items():
        setattr(module, key, function)
    signatures = {
        key: function.get_concrete_function()
        for key, function in functions.items()
    }
    metadata = _metadata(model, functions, limits)
    if text_tokenizer is not None:
        metadata["text_tokenizer"] = text_tokenizer.get_config()
        metadata["text_tokenizer_note"] = text_tokenizer_note(
            text_tokenizer, tokenizer
        )
    staging = os.path.join(export_base, _STAGING_NAME)
    with temporary_directory_beside(staging) as tmp:
        tf.saved_model.save(module, tmp, signatures=signatures)
        os.makedirs(os.path.join(tmp, "assets.extra"), exist_ok=True)
        with open(os.path.join(tmp, METADATA_FILE), "w") as handle:
            json.dump(metadata, handle, indent=2, sort_keys=True)
        if text_tokenizer is not None:
            text_tokenizer.save(os.path.join(tmp, "assets.extra"))
        return _publish(tmp, export_base, version)


# Name of the hidden temporaries of exports in progress in a base path:
# `.new-version.tmp-<pid>-...`, ignored by TF Serving (not an integer).
_STAGING_NAME = "new-version"


def _check_export_base(export_base):
    # Walk up to the first existing ancestor: a file anywhere on the way
    # makes the export impossible; say so before any work.
    probe = export_base
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            return
        probe = parent
    if not os.path.isdir(probe):
        raise NotADirectoryError(
            f"The export base path must be a directory, but {probe} is a "
            f"file. Received: export_base={export_base}"
        )


def _check_free(export_base, version):
    path = os.path.join(export_base, str(version))
    if os.path.lexists(path):
        raise FileExistsError(
            f"Version {version} already exists at {path}; TF Serving does "
            "not reload a changed version. Pass another `version`, or None "
            "for the next one."
        )


def _publish(tmp, export_base, version):
    # The rename is the claim (it never replaces a version; see
    # `rename_no_replace`): with `version=None`, a writer that loses the
    # race for a number takes the next one, so concurrent exports get
    # distinct versions and TF Serving never sees an empty or partial one.
    number = 0
    while True:
        if version is None:
            # Past a number lost to a race (or taken by a stray file).
            number = max(next_version(export_base), number + 1)
        else:
            number = version
        path = os.path.join(export_base, str(number))
        try:
            rename_no_replace(tmp, path)
            return path
        except FileExistsError:
            if version is not None:
                _check_free(export_base, version)  # raises with the message
                raise
