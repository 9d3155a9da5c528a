"""Options of the official English ELMo architectures, by preset name.

The dicts are in the original options.json format (the one `ELMo(options)`
and `keras_elmo.conversion` read), as shipped with the AllenNLP / bilm-tf
pretrained models. They describe architectures only: no weights are fetched.
"""

import copy

# The character CNN shared by every official English model.
_OFFICIAL_FILTERS = [
    [1, 32],
    [2, 32],
    [3, 64],
    [4, 128],
    [5, 256],
    [6, 512],
    [7, 1024],
]


def _official_options(dim, projection_dim, n_highway):
    return {
        "char_cnn": {
            "activation": "relu",
            "embedding": {"dim": 16},
            "filters": copy.deepcopy(_OFFICIAL_FILTERS),
            "max_characters_per_token": 50,
            "n_characters": 262,
            "n_highway": n_highway,
        },
        "lstm": {
            "cell_clip": 3,
            "dim": dim,
            "n_layers": 2,
            "proj_clip": 3,
            "projection_dim": projection_dim,
            "use_skip_connections": True,
        },
    }


PRESETS = {
    # 2x1024_128_2048cnn_1xhighway, 13.6M parameters.
    "small": _official_options(1024, 128, 1),
    # 2x2048_256_2048cnn_1xhighway, 28.0M parameters.
    "medium": _official_options(2048, 256, 1),
    # 2x4096_512_2048cnn_2xhighway, 93.6M parameters (also "5.5B").
    "original": _official_options(4096, 512, 2),
}


def preset_options(name):
    """A fresh copy of the options dict of an official ELMo architecture.

    Args:
        name: str. One of `"small"`, `"medium"`, `"original"`.

    Returns:
        A dict in the original options.json format, safe to modify.

    Raises:
        ValueError: if `name` is not a known preset.

    Example:

    ```python
    options = keras_elmo.models.elmo_presets.preset_options("small")
    model = keras_elmo.ELMo(options)  # random weights, official shape
    ```
    """
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(
            f"Unknown ELMo preset. Expected one of {sorted(PRESETS)}. "
            f"Received: name={name!r}"
        )
    return copy.deepcopy(PRESETS[name])
