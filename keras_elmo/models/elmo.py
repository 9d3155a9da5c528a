"""`ELMo`: the character CNN and the biLM as one Keras model."""

import keras

from keras_elmo.api_export import keras_elmo_export
from keras_elmo.conversion.bilm_options import bilm_arguments
from keras_elmo.conversion.bilm_options import encoder_arguments
from keras_elmo.conversion.bilm_options import validate_options
from keras_elmo.layers.bi_lm import BiLM
from keras_elmo.layers.char_cnn_encoder import CharCNNEncoder


@keras_elmo_export("keras_elmo.ELMo")
class ELMo(keras.Model):
    """The ELMo biLM: character ids in, every biLM layer out.

    Built from the options dict of the original format (the `options.json`
    that ships with every bilm-tf / AllenNLP ELMo), so pretrained models
    load with `ELMo.from_bilm_hdf5` and give the original numbers.

    Args:
        options: dict. Options in the original format (`char_cnn`, `lstm`).
        stateful: bool. Carry LSTM states from batch to batch as the
            original inference code does. Defaults to `False`.
        max_batch_size: int. Rows of stored state when `stateful`. Defaults
            to `128`.
        dropout: float. Dropout on each LSTM layer's input in training, as
            in the original pretraining. Defaults to `0.0`.
        **kwargs: other `keras.Model` arguments (`name`, `dtype`, ...).

    Call arguments:
        character_ids: int tensor `[batch, tokens, 50]` from
            `keras_elmo.batch_to_char_ids` (ids shifted by +1, 0 = padding).
        training: bool. Enables dropout.

    Returns:
        A dict aligned with the input positions (with sentence markers,
        `<S>` is position 0 and `</S>` position `len + 1`):
        `"token_embeddings"` `[batch, tokens, projection_dim]`,
        `"layers"` `[batch, n_layers + 1, tokens, 2 * projection_dim]`,
        `"mask"` bool `[batch, tokens]`. Padded positions are zeros.
        `keras_elmo.remove_sentence_markers` drops the markers.

    Example:

    ```python
    model = keras_elmo.ELMo.from_bilm_hdf5("options.json", "weights.hdf5")
    ids = keras_elmo.batch_to_char_ids([["Hello", "world", "!"]])
    outputs = model(ids)
    outputs["layers"].shape  # (1, 3, 5, 1024) for the original model
    ```

    Reference:
        - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
    """

    def __init__(
        self, options, stateful=False, max_batch_size=128, dropout=0.0, **kwargs
    ):
        super().__init__(**kwargs)
        self.options = validate_options(options)
        self.stateful = bool(stateful)
        self.max_batch_size = int(max_batch_size)
        self.dropout = float(dropout)

        # === Layers ===
        self.char_cnn = CharCNNEncoder(
            **encoder_arguments(self.options),
            dtype=self.dtype_policy,
            name="char_cnn",
        )
        self.bilm = BiLM(
            **bilm_arguments(self.options),
            dropout=self.dropout,
            stateful=self.stateful,
            max_batch_size=self.max_batch_size,
            dtype=self.dtype_policy,
            name="bilm",
        )
        self.build(
            (None, None, self.options["char_cnn"]["max_characters_per_token"])
        )

    def build(self, character_ids_shape):
        self.char_cnn.build(character_ids_shape)
        self.bilm.build(self.char_cnn.compute_output_shape(character_ids_shape))
        self.built = True

    @property
    def num_layers(self):
        """Number of biLM LSTM layers (outputs have one more)."""
        return self.bilm.num_layers

    @property
    def projection_dim(self):
        """Size of the token embeddings and of each LSTM direction."""
        return self.char_cnn.projection_dim

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

    @classmethod
    def from_bilm_hdf5(
        cls,
        options_file,
        weight_file,
        stateful=False,
        max_batch_size=128,
        **kwargs,
    ):
        """Load an original ELMo (options.json + hdf5 weights).

        Args:
            options_file: str. The options.json of the model.
            weight_file: str. The hdf5 weights of bilm-tf / AllenNLP.
            stateful: bool. See the class arguments. Defaults to `False`.
            max_batch_size: int. See the class arguments. Defaults to `128`.
            **kwargs: other `ELMo` arguments (`dropout`, `dtype`, `name`).

        Returns:
            An `ELMo` with the pretrained weights.

        Example:

        ```python
        model = keras_elmo.ELMo.from_bilm_hdf5(
            "elmo_options.json", "elmo_weights.hdf5", stateful=True)
        ```
        """
        from keras_elmo.conversion.bilm_hdf5 import load_bilm_weights
        from keras_elmo.conversion.bilm_options import read_options

        model = cls(
            read_options(options_file),
            stateful=stateful,
            max_batch_size=max_batch_size,
            **kwargs,
        )
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
        from keras_elmo.conversion.bilm_hdf5 import save_bilm_weights
        from keras_elmo.conversion.bilm_options import write_options

        save_bilm_weights(self, weight_file)
        if options_file is not None:
            write_options(self.options, options_file)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "options": self.options,
                "stateful": self.stateful,
                "max_batch_size": self.max_batch_size,
                "dropout": self.dropout,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
