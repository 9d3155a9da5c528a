"""`ELMo`: the character CNN and the biLM as one Keras model."""

import os

import keras

from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.conversion.bilm_hdf5 import load_bilm_weights
from keras_elmo.conversion.bilm_hdf5 import save_bilm_weights
from keras_elmo.conversion.bilm_options import config_to_options
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.conversion.bilm_options import write_options
from keras_elmo.layers.bi_lm import BiLM
from keras_elmo.layers.char_cnn_encoder import OFFICIAL_FILTERS
from keras_elmo.layers.char_cnn_encoder import CharCNNEncoder
from keras_elmo.preprocessing.elmo_characters import MAX_CHARACTERS_PER_TOKEN
from keras_elmo.preprocessing.elmo_characters import N_CHARACTERS
from keras_elmo.presets.keras_preset import write_keras_preset
from keras_elmo.presets.preset_directory import MODEL_CARD_FILE
from keras_elmo.presets.preset_directory import write_preset
from keras_elmo.presets.preset_handles import builtin_preset_metadata
from keras_elmo.presets.preset_loader import BilmPresetLoader
from keras_elmo.presets.preset_loader import ElmoForManyLangsPresetLoader
from keras_elmo.presets.preset_loader import get_preset_loader
from keras_elmo.utils.backend import default_jit_compile
from keras_elmo.utils.trainable import propagate_trainable


@keras_elmo_serializable
class ELMo(keras.Model):
    """The ELMo biLM: character ids in, every biLM layer out.

    The architecture is given by flat, typed arguments (the defaults are
    the original ELMo, `elmo_original_en`). The `options.json` of a
    bilm-tf / AllenNLP model maps onto them with
    `keras_elmo.conversion.options_to_config` (and back with
    `config_to_options`); `ELMo.from_preset` and `ELMo.from_bilm_hdf5` do
    it for you and load the weights, giving the original numbers.

    Args:
        filters: list of `(width, num_filters)` pairs, one character
            convolution each. Defaults to the official filters (2048 in
            all).
        character_embedding_dim: int. Size of the character embedding.
            Defaults to `16`.
        num_highway_layers: int. Highway layers after the convolutions.
            Defaults to `2`.
        activation: str. `"relu"` or `"tanh"` after max-pooling. Defaults
            to `"relu"`.
        num_characters: int. Character ids, padding id 0 included.
            Defaults to `262`.
        max_characters_per_token: int. Character ids per token. Defaults
            to `50`.
        lstm_units: int. Units of each LSTM (bilm-tf's `lstm.dim`).
            Defaults to `4096`.
        projection_dim: int. Size of the token embeddings and of each LSTM
            direction's projected output. Defaults to `512`.
        num_layers: int. Stacked LSTM layers per direction. Defaults to
            `2`.
        cell_clip: float or `None`. Clip of the LSTM cell state. Defaults
            to `3.0`.
        projection_clip: float or `None`. Clip of the projected LSTM
            output. Defaults to `3.0`.
        use_skip_connections: bool. Residual connections between LSTM
            layers after the first. Defaults to `True`.
        word_vocabulary_size: int. Rows of an optional word-embedding table
            (padding row 0 included) whose vectors are concatenated with
            the CNN features before the token projection, as in the
            ELMoForManyLangs models; `0` (bilm-tf) for none. The word id is
            then one extra last column of `character_ids`. Defaults to `0`.
        word_embedding_dim: int. Size of the word embedding. Defaults to
            `0`.
        forget_bias: float. Added to the LSTM forget gate at run time:
            `1.0` for bilm-tf (TF1 `LSTMCell`), `0.0` for AllenNLP-style
            LSTMs (ELMoForManyLangs), whose stored bias includes it.
            Defaults to `1.0`.
        dropout: float. Dropout on each LSTM layer's input in training, as
            in the original pretraining. Defaults to `0.0`.
        stateful: bool. Carry LSTM states from batch to batch as the
            original inference code does. Defaults to `False`.
        max_batch_size: int. Rows of stored state when `stateful`. Defaults
            to `128`.
        initial_state: str. What each sentence starts from when not
            `stateful`: `"zeros"`, or `"warm"`, one fixed state read from a
            warm-up text (`keras_elmo.presets.warm_state`; `from_preset`
            loads the preset's `warm_state.npz`, or use `set_warm_state`).
            Either way a sentence's vectors do not depend on its batch.
            Defaults to `"zeros"`.
        **kwargs: other `keras.Model` arguments (`name`, `dtype`, ...).

    Call arguments:
        character_ids: int tensor `[batch, tokens, ids_per_token]` from
            `keras_elmo.batch_to_char_ids` (ids shifted by +1, 0 =
            padding), or from the model's `VocabularyCharacterTokenizer`;
            `ids_per_token` is `max_characters_per_token`, plus 1 (the word
            id) with a word embedding.
        training: bool. Enables dropout.

    Returns:
        A dict aligned with the input positions (with sentence markers,
        `<S>` is position 0 and `</S>` position `len + 1`):
        `"token_embeddings"` `[batch, tokens, projection_dim]`,
        `"layers"` `[batch, num_layers + 1, tokens, 2 * projection_dim]`,
        `"mask"` bool `[batch, tokens]`. Padded positions are zeros.
        `keras_elmo.remove_sentence_markers` drops the markers.

    Example:

    ```python
    model = keras_elmo.ELMo.from_preset("elmo_tiny_en")
    ids = keras_elmo.batch_to_char_ids([["Hello", "world", "!"]])
    outputs = model(ids)
    outputs["layers"].shape  # (1, 3, 5, 256)

    # An untrained model of any shape:
    model = keras_elmo.ELMo(
        filters=[(1, 4), (2, 8)], character_embedding_dim=4,
        num_highway_layers=1, lstm_units=16, projection_dim=8)
    ```

    Reference:
        - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
    """

    # Built-in preset name -> metadata (no network; see docs/presets.md).
    presets = builtin_preset_metadata()

    def __init__(
        self,
        filters=OFFICIAL_FILTERS,
        character_embedding_dim=16,
        num_highway_layers=2,
        activation="relu",
        num_characters=N_CHARACTERS,
        max_characters_per_token=MAX_CHARACTERS_PER_TOKEN,
        lstm_units=4096,
        projection_dim=512,
        num_layers=2,
        cell_clip=3.0,
        projection_clip=3.0,
        use_skip_connections=True,
        word_vocabulary_size=0,
        word_embedding_dim=0,
        forget_bias=1.0,
        dropout=0.0,
        stateful=False,
        max_batch_size=128,
        initial_state="zeros",
        **kwargs,
    ):
        # Not Keras's "el_mo", "el_mo_1", ...: the variable paths (which
        # training checkpoints use) stay the same from process to process.
        kwargs.setdefault("name", "elmo")
        super().__init__(**kwargs)
        self.filters = [[int(w), int(n)] for w, n in filters]
        self.character_embedding_dim = int(character_embedding_dim)
        self.num_highway_layers = int(num_highway_layers)
        self.activation = activation
        self.num_characters = int(num_characters)
        self.max_characters_per_token = int(max_characters_per_token)
        self.lstm_units = int(lstm_units)
        self.projection_dim = int(projection_dim)
        self.num_layers = int(num_layers)
        self.cell_clip = None if cell_clip is None else float(cell_clip)
        self.projection_clip = (
            None if projection_clip is None else float(projection_clip)
        )
        self.use_skip_connections = bool(use_skip_connections)
        self.word_vocabulary_size = int(word_vocabulary_size)
        self.word_embedding_dim = int(word_embedding_dim)
        self.forget_bias = float(forget_bias)
        self.dropout = float(dropout)
        self.stateful = bool(stateful)
        self.max_batch_size = int(max_batch_size)
        self.initial_state = initial_state
        if self.projection_dim > self.lstm_units:
            # bilm-tf projects the LSTM state only down, never up.
            raise ValueError(
                "`projection_dim` must not exceed `lstm_units`. Received: "
                f"projection_dim={projection_dim}, lstm_units={lstm_units}"
            )
        widest = max((w for w, _ in self.filters), default=0)
        if widest > self.max_characters_per_token:
            raise ValueError(
                f"A filter of width {widest} is wider than "
                "`max_characters_per_token`. Received: "
                f"filters={self.filters}, "
                f"max_characters_per_token={max_characters_per_token}"
            )

        # === Layers ===
        self.char_cnn = CharCNNEncoder(
            filters=[tuple(pair) for pair in self.filters],
            embedding_dim=self.character_embedding_dim,
            num_highway_layers=self.num_highway_layers,
            projection_dim=self.projection_dim,
            activation=self.activation,
            num_characters=self.num_characters,
            max_characters_per_token=self.max_characters_per_token,
            word_vocabulary_size=self.word_vocabulary_size,
            word_embedding_dim=self.word_embedding_dim,
            dtype=self.dtype_policy,
            name="char_cnn",
        )
        self.bilm = BiLM(
            units=self.lstm_units,
            projection_dim=self.projection_dim,
            num_layers=self.num_layers,
            cell_clip=self.cell_clip,
            projection_clip=self.projection_clip,
            use_skip_connections=self.use_skip_connections,
            forget_bias=self.forget_bias,
            dropout=self.dropout,
            stateful=self.stateful,
            max_batch_size=self.max_batch_size,
            initial_state=self.initial_state,
            dtype=self.dtype_policy,
            name="bilm",
        )
        self.build((None, None, self.ids_per_token))
        # A frozen model reloaded from its config: freeze the sublayers too.
        propagate_trainable(self)
        # Fast by default: `predict` and `predict_on_batch` compile with XLA
        # (TensorFlow, JAX). Opt out with `model.jit_compile = False`.
        self.jit_compile = default_jit_compile()

    def build(self, character_ids_shape):
        self.char_cnn.build(character_ids_shape)
        self.bilm.build(self.char_cnn.compute_output_shape(character_ids_shape))
        self.built = True

    @property
    def ids_per_token(self):
        """Width of `character_ids`: the characters (and the word id)."""
        return self.char_cnn.ids_per_token

    def compile(self, *args, jit_compile="auto", **kwargs):
        """`keras.Model.compile`, where `jit_compile="auto"` means XLA.

        Keras's `"auto"` turns XLA off on CPU-only TensorFlow; for ELMo
        XLA is the faster choice there too (`docs/performance.md`), so
        `"auto"` resolves to `keras_elmo.utils.backend.default_jit_compile`
        unless `run_eagerly=True`. Pass `jit_compile=False` to opt out.
        """
        if jit_compile == "auto" and not kwargs.get("run_eagerly"):
            jit_compile = default_jit_compile()
        super().compile(*args, jit_compile=jit_compile, **kwargs)

    def call(self, character_ids, training=None):
        token_embeddings = self.char_cnn(
            character_ids, training=training
        )  # (b, t, proj)
        mask = self.char_cnn.compute_mask(character_ids)  # (b, t)
        layers = self.bilm(
            token_embeddings, mask=mask, training=training
        )  # (b, n_layers + 1, t, 2 * proj)
        return {
            "token_embeddings": token_embeddings,
            "layers": layers,
            "mask": mask,
        }

    def compute_output_spec(self, character_ids, training=None):
        batch, tokens = character_ids.shape[0], character_ids.shape[1]
        dim = self.bilm.output_dim
        return {
            "token_embeddings": keras.KerasTensor(
                (batch, tokens, self.projection_dim), self.compute_dtype
            ),
            "layers": keras.KerasTensor(
                (batch, self.num_layers + 1, tokens, 2 * dim),
                self.compute_dtype,
            ),
            "mask": keras.KerasTensor((batch, tokens), "bool"),
        }

    def reset_states(self):
        """Zero the LSTM states carried between batches (`stateful=True`)."""
        self.bilm.reset_states()

    def set_warm_state(self, state):
        """Set the warm initial state (`initial_state="warm"`).

        Args:
            state: dict name -> vector, as
                `keras_elmo.presets.warm_state.compute_warm_state` or
                `keras_elmo.presets.warm_state.read_warm_state` give.

        Example:

        ```python
        model.set_warm_state(compute_warm_state(model, warm_up_sentences))
        ```
        """
        self.bilm.set_warm_state(state)

    @classmethod
    def from_preset(cls, handle, load_weights=True, **kwargs):
        """An `ELMo` from a preset: a built-in name, a directory or a URL.

        Args:
            handle: str. A name of `ELMo.presets` (downloaded once into
                `$KERAS_HOME/keras_elmo/`), a preset directory
                (`options.json` + `weights.hdf5`, the Keras layout, or an
                ELMoForManyLangs model directory), a zip or tar archive of
                one, or an `http://`, `https://` or `file://` URL of either
                (see `keras_elmo.presets.get_preset_loader`).
            load_weights: bool. Load the trained weights; `False` gives the
                architecture with fresh weights (no download for a built-in
                name). Defaults to `True`.
            **kwargs: other `ELMo` arguments (`initial_state`,
                `stateful`, `dropout`, `dtype`, `name`, ...).

        Returns:
            An `ELMo`.

        Example:

        ```python
        model = keras_elmo.ELMo.from_preset("elmo_original_en")
        model = keras_elmo.ELMo.from_preset("/data/my_elmo")
        untrained = keras_elmo.ELMo.from_preset(
            "elmo_small_en", load_weights=False)
        ```
        """
        return get_preset_loader(handle).load_elmo(cls, load_weights, **kwargs)

    @classmethod
    def from_elmoformanylangs(cls, model_dir, load_weights=True, **kwargs):
        """An `ELMo` from an ELMoForManyLangs model directory (no torch).

        The directory's config, `char.dic`, `word.dic` and the two torch
        `.pkl` state dicts are read by
        `keras_elmo.conversion.elmoformanylangs`; the model gets the
        options of that format (a character vocabulary, a word embedding,
        `forget_bias=0.0`). Its inputs come from
        `elmoformanylangs_tokenizer(model_dir)`.

        Args:
            model_dir: str. The unzipped model directory.
            load_weights: bool. Defaults to `True`.
            **kwargs: other `ELMo` arguments (`stateful`, `dtype`, ...).

        Example:

        ```python
        model = keras_elmo.ELMo.from_elmoformanylangs("ko.model")
        ```
        """
        loader = ElmoForManyLangsPresetLoader(
            os.fspath(model_dir), lambda: os.fspath(model_dir)
        )
        return loader.load_elmo(cls, load_weights, **kwargs)

    @classmethod
    def from_preset_directory(cls, preset, load_weights=True, **kwargs):
        """An `ELMo` from a resolved `keras_elmo.presets.PresetDirectory`.

        Example:

        >>> model = ELMo.from_preset_directory(resolve_preset("my_elmo"))
        """
        loader = BilmPresetLoader(preset.handle, lambda: preset)
        return loader.load_elmo(cls, load_weights, **kwargs)

    def save_to_preset(
        self, preset_dir, metadata=None, model_card=None, tokenizer=None
    ):
        """Write the model as a preset directory, atomically.

        Writes `options.json`, `weights.hdf5` (original format) and
        `metadata.json`; `ELMo.from_preset(preset_dir)` loads it back
        exactly. A model with no options.json form (a character vocabulary,
        a word embedding or `forget_bias != 1`, as ELMoForManyLangs models),
        or one saved with a `tokenizer`, is written in keras-hub's layout
        instead (`keras_elmo.presets.keras_preset`): `config.json`,
        `model.weights.h5`, `tokenizer.json`, `metadata.json`.

        Args:
            preset_dir: str. The directory (replaced as a whole if present).
            metadata: dict or `None`. Entries for `metadata.json` (name,
                language, training data, license, measured numbers).
            model_card: str or `None`. A README.md to copy in.
            tokenizer: a Keras layer making the model's ids (e.g. a
                `VocabularyCharacterTokenizer`), saved with the preset.

        Example:

        ```python
        model.save_to_preset("my_elmo", metadata={"language": "en"})
        ```
        """
        if tokenizer is not None or not self.has_options_form:
            if model_card is not None:
                raise ValueError(
                    "`model_card` is not supported for keras-layout presets."
                )
            write_keras_preset(
                preset_dir,
                self,
                tokenizer,
                {"parameters": int(self.count_params()), **(metadata or {})},
            )
            return
        with write_preset(preset_dir) as writer:
            self.write_preset_files(writer, metadata, model_card)

    def write_preset_files(self, writer, metadata=None, model_card=None):
        """Write this model's preset files with a `PresetWriter`."""
        self.save_bilm_hdf5(writer.weights_file, writer.options_file)
        writer.write_metadata(
            {"parameters": int(self.count_params()), **(metadata or {})}
        )
        if model_card is not None:
            writer.copy_file(MODEL_CARD_FILE, model_card)

    @classmethod
    def from_bilm_hdf5(cls, options_file, weight_file, **kwargs):
        """Load an original ELMo (options.json + hdf5 weights).

        Args:
            options_file: str. The options.json of the model.
            weight_file: str. The hdf5 weights of bilm-tf / AllenNLP.
            **kwargs: `ELMo` arguments that the options do not fix
                (`stateful`, `max_batch_size`, `dropout`, `dtype`, `name`).

        Returns:
            An `ELMo` with the pretrained weights.

        Example:

        ```python
        model = keras_elmo.ELMo.from_bilm_hdf5(
            "elmo_options.json", "elmo_weights.hdf5", stateful=True)
        ```
        """
        config = options_to_config(read_options(options_file))
        model = cls(**config, **kwargs)
        load_bilm_weights(model, weight_file)
        return model

    def save_bilm_hdf5(self, weight_file, options_file=None):
        """Write the weights (and options) in the original format.

        The files load in bilm-tf, AllenNLP and `ELMo.from_bilm_hdf5`; a
        load followed by a save reproduces the original file's arrays
        exactly. Both writes are atomic.

        Args:
            weight_file: str. Destination hdf5 file.
            options_file: str or `None`. Destination options.json.

        Example:

        ```python
        model.save_bilm_hdf5("weights.hdf5", "options.json")
        ```
        """
        save_bilm_weights(self, weight_file)
        if options_file is not None:
            write_options(self.options, options_file)

    @property
    def has_options_form(self):
        """Whether the architecture fits the bilm-tf options.json format."""
        return not (
            self.word_vocabulary_size
            or self.forget_bias != 1.0
            or self.num_characters != N_CHARACTERS
        )

    @property
    def options(self):
        """The architecture as an original options.json dict."""
        if not self.has_options_form:
            raise ValueError(
                "This ELMo (a character vocabulary, a word embedding or a "
                "stored forget bias, as ELMoForManyLangs models) has no "
                "bilm-tf options.json form; `save_to_preset` writes it in "
                "the Keras layout."
            )
        return config_to_options(self.get_config())

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": [list(pair) for pair in self.filters],
                "character_embedding_dim": self.character_embedding_dim,
                "num_highway_layers": self.num_highway_layers,
                "activation": self.activation,
                "num_characters": self.num_characters,
                "max_characters_per_token": self.max_characters_per_token,
                "lstm_units": self.lstm_units,
                "projection_dim": self.projection_dim,
                "num_layers": self.num_layers,
                "cell_clip": self.cell_clip,
                "projection_clip": self.projection_clip,
                "use_skip_connections": self.use_skip_connections,
                "word_vocabulary_size": self.word_vocabulary_size,
                "word_embedding_dim": self.word_embedding_dim,
                "forget_bias": self.forget_bias,
                "dropout": self.dropout,
                "stateful": self.stateful,
                "max_batch_size": self.max_batch_size,
                "initial_state": self.initial_state,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def as_elmo(elmo):
    """The `ELMo` argument of a task model (an `ELMo`, or its config).

    Args:
        elmo: a `keras_elmo.ELMo`, or its serialized config (what
            `get_config` of a task model stores).

    Returns:
        The `ELMo`.

    Raises:
        ValueError: for anything else.
    """
    if isinstance(elmo, dict):  # from `get_config`
        elmo = keras.saving.deserialize_keras_object(elmo)
    if not isinstance(elmo, ELMo):
        raise ValueError(
            f"`elmo` must be a `keras_elmo.ELMo`. Received: elmo={elmo!r}"
        )
    return elmo
