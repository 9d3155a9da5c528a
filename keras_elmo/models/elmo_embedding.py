"""`ELMoEmbedding`: ELMo as one layer of a task model."""

import keras
from keras import ops

from keras_elmo import preprocessing
from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.layers.weighted_layer_mix import WeightedLayerMix
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo import as_elmo
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.presets.preset_directory import write_preset
from keras_elmo.presets.preset_loader import get_preset_loader
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.trainable import propagate_trainable

INPUT_TYPES = ("character_ids", "sentences")


def _require_string_inputs():
    require_tensorflow_backend(
        "`ELMoEmbedding(input_type='sentences')` (string tensors, "
        "tokenized in the TensorFlow graph)",
        "use input_type='character_ids' and "
        "`keras_elmo.batch_to_char_ids` (NumPy, every backend)",
    )


@keras_elmo_serializable
class ELMoEmbedding(keras.layers.Layer):
    """Contextual word vectors for a Keras task model (ELMo eq. 1).

    Runs the biLM once and returns `num_outputs` task-learned mixes of its
    layers, e.g. one to concatenate with the task model's word vectors at
    its input and one for its RNN output, as in the paper. The `<S>`/`</S>`
    positions are removed: position `k` is the sentence's token `k`.

    Args:
        elmo: a `keras_elmo.ELMo`, usually pretrained (see `from_preset`).
        input_type: `"character_ids"` (int `[batch, tokens + 2, 50]` from
            `keras_elmo.batch_to_char_ids`, markers included) or
            `"sentences"` (1-D `tf.string` of whitespace-tokenized
            sentences, turned into character ids in the graph). Defaults to
            `"character_ids"`.
        num_outputs: int. Independent layer mixes returned. Defaults to
            `1`.
        trainable_bilm: bool. Fine-tune the biLM too; by default it is
            frozen and only the mixes train. Defaults to `False`.
        do_layer_norm: bool. Layer-normalise each biLM layer in the mixes.
            Defaults to `False`.
        dropout: float. Dropout on each mix output. Defaults to `0.0`.
        l2_coef: float. L2 penalty on the mixing scalars (small: layers may
            differ; large: an equal average). Defaults to `0.0`.
        use_top_only: bool. Use the top biLM layer instead of a mix.
        initial_scalar_weights: list of floats or `None`. Fixed mixing
            weights (e.g. zeros for a fixed equal average).
        character_tokenizer: a Keras layer or `None`. With
            `input_type="sentences"`, turns the split tokens into the
            model's ids: `None` is `ELMoCharacterTokenizer` (UTF-8 bytes,
            bilm-tf models); ELMoForManyLangs models need their
            `VocabularyCharacterTokenizer` (`from_preset` passes it; see
            `keras_elmo.conversion.elmoformanylangs_tokenizer`).
            Saved in the config. Defaults to `None`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        inputs: see `input_type`.
        training: bool. Enables dropout.

    Returns:
        `[batch, tokens, 2 * projection_dim]`, or a list of `num_outputs`
        of them. The output mask marks each sentence's real tokens, so
        masking-aware layers (RNNs, pooling) skip padding.

    Example:

    ```python
    sentences = keras.Input(shape=(), dtype="string")
    elmo = keras_elmo.ELMoEmbedding.from_preset(
        "elmo_tiny_en", input_type="sentences")
    vectors = elmo(sentences)  # (batch, tokens, dim)
    states = keras.layers.Bidirectional(keras.layers.LSTM(64))(vectors)
    outputs = keras.layers.Dense(2, activation="softmax")(states)
    model = keras.Model(sentences, outputs)
    ```

    Reference:
        - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
    """

    def __init__(
        self,
        elmo,
        input_type="character_ids",
        num_outputs=1,
        trainable_bilm=False,
        do_layer_norm=False,
        dropout=0.0,
        l2_coef=0.0,
        use_top_only=False,
        initial_scalar_weights=None,
        character_tokenizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if input_type not in INPUT_TYPES:
            raise ValueError(
                f"`input_type` must be one of {INPUT_TYPES}. "
                f"Received: input_type={input_type!r}"
            )
        self.input_type = input_type
        self.num_outputs = int(num_outputs)
        self.trainable_bilm = bool(trainable_bilm)
        self.do_layer_norm = bool(do_layer_norm)
        self.dropout = float(dropout)
        self.l2_coef = float(l2_coef)
        self.use_top_only = bool(use_top_only)
        self.initial_scalar_weights = initial_scalar_weights

        # === Layers ===
        self.elmo = as_elmo(elmo)
        self.elmo.trainable = self.trainable_bilm
        if isinstance(character_tokenizer, dict):  # from `get_config`
            character_tokenizer = keras.saving.deserialize_keras_object(
                character_tokenizer
            )
        self.character_tokenizer = character_tokenizer
        self.tokenizer = None
        if input_type == "sentences":
            _require_string_inputs()
            self.tokenizer = (
                character_tokenizer
                or preprocessing.ELMoCharacterTokenizer(
                    max_characters_per_token=self.elmo.max_characters_per_token,
                    name="tokenizer",
                )
            )
        elif character_tokenizer is not None:
            raise ValueError(
                "`character_tokenizer` is only used with "
                "input_type='sentences'."
            )
        self.layer_mix = WeightedLayerMix(
            num_layers=self.elmo.num_layers + 1,
            do_layer_norm=self.do_layer_norm,
            dropout=self.dropout,
            l2_coef=self.l2_coef,
            use_top_only=self.use_top_only,
            initial_scalar_weights=initial_scalar_weights,
            num_outputs=self.num_outputs,
            dtype=self.dtype_policy,
            name="layer_mix",
        )
        self.layer_mix.build(
            (
                None,
                self.elmo.num_layers + 1,
                None,
                2 * self.elmo.bilm.output_dim,
            )
        )
        self.built = True
        # A frozen model reloaded from its config: freeze the sublayers too.
        propagate_trainable(self)

    @classmethod
    def from_bilm_hdf5(cls, options_file, weight_file, **kwargs):
        """An `ELMoEmbedding` with original (or exported) biLM weights.

        Example:

        >>> layer = ELMoEmbedding.from_bilm_hdf5("options.json", "w.hdf5")
        """
        return cls(ELMo.from_bilm_hdf5(options_file, weight_file), **kwargs)

    @classmethod
    def from_preset(
        cls, handle, load_weights=True, initial_state="zeros", **kwargs
    ):
        """An `ELMoEmbedding` of a preset's biLM and trained layer mix.

        A preset's `layer_mix.json` (a mix trained for the `elmo` output)
        initialises every mix, as `ELMoEmbedder.from_preset` uses it; a
        vocabulary model's character tokenizer (ELMoForManyLangs) serves
        `input_type="sentences"`.

        Args:
            handle: str. A built-in name, a preset directory, an archive or
                a URL (see `ELMo.from_preset`).
            load_weights: bool. Load the trained biLM (and mix). Defaults
                to `True`.
            initial_state: str. The biLM's initial state, `"zeros"` or
                `"warm"` (the preset's `warm_state.npz`; see
                `keras_elmo.ELMo`). Defaults to `"zeros"`.
            **kwargs: other `ELMoEmbedding` arguments.

        Example:

        ```python
        layer = keras_elmo.ELMoEmbedding.from_preset(
            "elmo_tiny_en", input_type="sentences")
        ```
        """
        if kwargs.get("input_type") == "sentences":
            _require_string_inputs()  # before the (long) load
        loader = get_preset_loader(handle)
        elmo = loader.load_elmo(ELMo, load_weights, initial_state=initial_state)
        if kwargs.get("input_type") == "sentences":
            # A character vocabulary comes with the model (ELMoForManyLangs).
            kwargs.setdefault("character_tokenizer", loader.load_tokenizer())
        layer = cls(elmo, **kwargs)
        mix = loader.load_layer_mix() if load_weights else None
        if mix is not None:
            layer.layer_mix.set_mix(*mix)
        return layer

    def save_to_preset(self, preset_dir, metadata=None, model_card=None):
        """Write the biLM and the layer mix as a preset, atomically.

        The mix goes to `layer_mix.json`, so it needs one output.

        Example:

        >>> layer.save_to_preset("my_elmo")
        """
        if self.num_outputs != 1 or self.use_top_only:
            raise ValueError(
                "A preset holds one trained layer mix: save an "
                "`ELMoEmbedding` with `num_outputs=1` and "
                f"`use_top_only=False`. Received: num_outputs="
                f"{self.num_outputs}, use_top_only={self.use_top_only}"
            )
        with write_preset(preset_dir) as writer:
            self.elmo.write_preset_files(writer, metadata, model_card)
            writer.write_layer_mix(
                self.layer_mix.scalar_weights[0].numpy(),
                self.layer_mix.gammas[0].numpy(),
            )

    def _character_ids(self, inputs):
        if self.tokenizer is None:
            return inputs
        return self.tokenizer(
            preprocessing.ELMoCharacterTokenizer.split(inputs)
        )

    def call(self, inputs, training=None):
        character_ids = self._character_ids(inputs)  # (b, t + 2, chars)
        outputs = self.elmo(character_ids, training=training)
        words = remove_sentence_markers(
            {"layers": outputs["layers"], "mask": outputs["mask"]}
        )  # layers: (b, n_layers + 1, t, dim)
        return self.layer_mix(
            words["layers"], mask=words["mask"], training=training
        )  # (b, t, dim), or a list of them

    def compute_mask(self, inputs, mask=None):
        if self.tokenizer is not None and keras.backend.is_keras_tensor(inputs):
            # String inputs cannot go through Keras ops while a functional
            # model is built; the mask is computed when the model runs.
            return None
        character_ids = self._character_ids(inputs)
        real = ops.any(ops.greater(character_ids, 0), axis=-1)  # (b, t + 2)
        # Real positions are a prefix of `len + 2` (markers included), so
        # dropping the first two leaves exactly `len` leading Trues: the
        # word mask. A slice also works on symbolic inputs with an unknown
        # number of tokens (functional models), where `shape - 2` cannot.
        words = real[:, 2:]  # (batch, t)
        return [words] * self.num_outputs if self.num_outputs > 1 else words

    def compute_output_shape(self, input_shape):
        tokens = None
        if self.input_type == "character_ids" and input_shape[1] is not None:
            tokens = input_shape[1] - 2
        shape = (input_shape[0], tokens, 2 * self.elmo.bilm.output_dim)
        return [shape] * self.num_outputs if self.num_outputs > 1 else shape

    def compute_output_spec(self, inputs, training=None):
        shapes = self.compute_output_shape(inputs.shape)
        if self.num_outputs == 1:
            return keras.KerasTensor(shapes, self.compute_dtype)
        return [keras.KerasTensor(s, self.compute_dtype) for s in shapes]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "elmo": keras.saving.serialize_keras_object(self.elmo),
                "input_type": self.input_type,
                "num_outputs": self.num_outputs,
                "trainable_bilm": self.trainable_bilm,
                "do_layer_norm": self.do_layer_norm,
                "dropout": self.dropout,
                "l2_coef": self.l2_coef,
                "use_top_only": self.use_top_only,
                "initial_scalar_weights": self.initial_scalar_weights,
                "character_tokenizer": (
                    None
                    if self.character_tokenizer is None
                    else keras.saving.serialize_keras_object(
                        self.character_tokenizer
                    )
                ),
            }
        )
        return config
