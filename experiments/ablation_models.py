"""Task models and configurations of the ELMo ablations (Peters et al. 2018).

Every task model has task word embeddings (trained from scratch) and one
BiLSTM; ELMo vectors (`WeightedLayerMix` over the cached biLM layers, i.e.
a frozen `ELMoEmbedding`) are concatenated at its input
(`[x_k; ELMo_k]`), at its output (`[h_k; ELMo_k]`) or both, as in the
paper's section 3.3. Classification pools the (per-token) output with a
masked max and a masked mean before a softmax layer; tagging puts a
softmax layer on every token.
"""

from dataclasses import dataclass

import keras
from keras import ops

from experiments.ablation_data import CLASSIFICATION
from experiments.ablation_data import PAD_ID
from keras_elmo.layers.weighted_layer_mix import WeightedLayerMix

SMALL_L2 = 1e-3
LARGE_L2 = 1.0


@dataclass(frozen=True)
class AblationConfig:
    """How ELMo enters a task model.

    Attributes:
        name: str. Short name used in tables.
        description: str. What the row means.
        placements: tuple of `"input"`/`"output"`; empty for no ELMo.
        mix: `"top"` (top layer only), `"equal"` (fixed equal weights),
            `"learned"` (softmax weights trained with L2 `l2_coef`) or
            `None`.
        l2_coef: float. L2 on the mixing scalars (learned mixes only).
    """

    name: str
    description: str
    placements: tuple = ()
    mix: str = None
    l2_coef: float = 0.0


CONFIGS = (
    AblationConfig("no_elmo", "no ELMo (task word embeddings only)"),
    AblationConfig("top_only", "top biLM layer only", ("input",), "top"),
    AblationConfig(
        "equal_fixed", "equal fixed layer weights", ("input",), "equal"
    ),
    AblationConfig(
        "learned_l2_large",
        f"learned weights, L2 = {LARGE_L2:g}",
        ("input",),
        "learned",
        LARGE_L2,
    ),
    AblationConfig(
        "learned_l2_small",
        f"learned weights, L2 = {SMALL_L2:g} (input only)",
        ("input",),
        "learned",
        SMALL_L2,
    ),
    AblationConfig(
        "output_only",
        f"output only (learned, L2 = {SMALL_L2:g})",
        ("output",),
        "learned",
        SMALL_L2,
    ),
    AblationConfig(
        "input_output",
        f"input + output (learned, L2 = {SMALL_L2:g})",
        ("input", "output"),
        "learned",
        SMALL_L2,
    ),
)
CONFIGS_BY_NAME = {c.name: c for c in CONFIGS}


@dataclass(frozen=True)
class TaskModelSize:
    """Hyper-parameters shared by all configurations of a task."""

    word_dim: int = 100
    lstm_units: int = 64
    dropout: float = 0.5
    learning_rate: float = 1e-3


class MaskedMaxMeanPooling(keras.layers.Layer):
    """Concatenated max and mean over the real tokens: `[b, t, d] -> [b, 2d]`.

    Call arguments:
        inputs: float `[batch, tokens, dim]`.
        mask: bool `[batch, tokens]`, `True` at real tokens.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None  # one vector per sentence: nothing left to mask

    def call(self, inputs, mask):
        weights = ops.cast(mask, inputs.dtype)[:, :, None]  # (b, t, 1)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)  # (b, 1)
        mean = ops.sum(inputs * weights, axis=1) / count  # (b, d)
        very_negative = ops.cast(-1e9, inputs.dtype)
        masked = ops.where(weights > 0, inputs, very_negative)  # (b, t, d)
        maximum = ops.max(masked, axis=1)  # (b, d)
        return ops.concatenate([maximum, mean], axis=-1)  # (b, 2d)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[-1])


def _layer_mix(config, num_layers):
    kwargs = {"num_layers": num_layers, "name": "elmo_mix"}
    if config.mix == "top":
        kwargs["use_top_only"] = True
    elif config.mix == "equal":
        kwargs["initial_scalar_weights"] = [0.0] * num_layers
    elif config.mix == "learned":
        kwargs["l2_coef"] = config.l2_coef
    else:
        raise ValueError(f"Unknown mix {config.mix!r} in {config}")
    kwargs["num_outputs"] = len(config.placements)
    return WeightedLayerMix(**kwargs)


def build_task_model(
    kind,
    config,
    vocabulary_size,
    num_labels,
    num_layers=None,
    elmo_dim=None,
    size=TaskModelSize(),
    run_eagerly=False,
):
    """A compiled task model for one ablation configuration.

    Args:
        kind: `"classification"` or `"tagging"`.
        config: `AblationConfig`.
        vocabulary_size: int. Task word ids are in `[0, vocabulary_size)`.
        num_labels: int. Classes or tags.
        num_layers: int. biLM layers in the cache (`n_layers + 1`); needed
            with ELMo.
        elmo_dim: int. Width of a biLM layer; needed with ELMo.
        size: `TaskModelSize`.
        run_eagerly: bool. Passed to `compile` (tiny runs, debugging).

    Returns:
        A compiled `keras.Model` with inputs `word_ids` (and `elmo_layers`
        with ELMo) and softmax outputs (`[b, labels]` or `[b, t, tags]`).
    """
    if config.placements and (num_layers is None or elmo_dim is None):
        raise ValueError(
            f"Config {config.name!r} uses ELMo: pass num_layers and elmo_dim."
        )
    word_ids = keras.Input((None,), dtype="int32", name="word_ids")
    inputs = {"word_ids": word_ids}
    mask = ops.not_equal(word_ids, PAD_ID)  # (b, t)
    # === Layers ===
    x = keras.layers.Embedding(
        vocabulary_size, size.word_dim, name="word_embedding"
    )(word_ids)  # (b, t, word_dim)
    elmo = {}
    if config.placements:
        layers = keras.Input(
            (num_layers, None, elmo_dim), dtype="float32", name="elmo_layers"
        )
        inputs["elmo_layers"] = layers
        mixes = _layer_mix(config, num_layers)(layers, mask=mask)
        if len(config.placements) == 1:
            mixes = [mixes]
        elmo = dict(zip(config.placements, mixes))  # each (b, t, elmo_dim)
    if "input" in elmo:
        x = keras.layers.Concatenate(name="input_concat")([x, elmo["input"]])
    x = keras.layers.Dropout(size.dropout, name="input_dropout")(x)
    h = keras.layers.Bidirectional(
        keras.layers.LSTM(size.lstm_units, return_sequences=True),
        name="bilstm",
    )(x, mask=mask)  # (b, t, 2 * units)
    if "output" in elmo:
        h = keras.layers.Concatenate(name="output_concat")([h, elmo["output"]])
    if kind == CLASSIFICATION:
        h = MaskedMaxMeanPooling(name="pooling")(h, mask=mask)  # (b, 2d)
    h = keras.layers.Dropout(size.dropout, name="output_dropout")(h)
    outputs = keras.layers.Dense(
        num_labels, activation="softmax", name="softmax"
    )(h)
    model = keras.Model(inputs, outputs, name=f"{kind}_{config.name}")
    model.compile(
        optimizer=keras.optimizers.Adam(size.learning_rate),
        loss="sparse_categorical_crossentropy",
        jit_compile=False,
        run_eagerly=run_eagerly,
    )
    return model


def layer_weights(model, config):
    """The mixes of a trained model: `{placement: {"softmax_w", "gamma"}}`.

    `softmax_w` is `softmax(w)` (one value per biLM layer; the top-only
    mix has none).
    """
    if not config.placements:
        return {}
    mix = model.get_layer("elmo_mix")
    result = {}
    for k, placement in enumerate(config.placements):
        entry = {"gamma": float(ops.convert_to_numpy(mix.gammas[k])[0])}
        if mix.scalar_weights:
            w = ops.softmax(mix.scalar_weights[k])
            entry["softmax_w"] = [float(v) for v in ops.convert_to_numpy(w)]
        result[placement] = entry
    return result
