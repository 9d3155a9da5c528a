"""Where trained models live: `saved_models/<name>/` directories.

A model directory holds `options.json` and `weights.hdf5` (the original
ELMo format, loadable everywhere), optionally `layer_mix.json` (trained
`WeightedLayerMix` scalars for the `elmo` output), TF Serving version
directories (`1/`, `2/`, ...) and a `README.md` model card.
"""

import os
from pathlib import Path

OPTIONS_FILE = "options.json"
WEIGHTS_FILE = "weights.hdf5"
ENV_VARIABLE = "KERAS_ELMO_MODELS"


def _search_roots():
    roots = []
    if os.environ.get(ENV_VARIABLE):
        roots.extend(
            Path(p) for p in os.environ[ENV_VARIABLE].split(os.pathsep)
        )
    roots.append(Path.cwd() / "saved_models")
    # A source checkout: <repo>/saved_models next to the package.
    roots.append(Path(__file__).resolve().parents[2] / "saved_models")
    return roots


def resolve_model_dir(name_or_path):
    """Find a model directory by path or by name under `saved_models/`.

    Args:
        name_or_path: str or path-like. A directory with `options.json` and
            `weights.hdf5`, or the name of one under `$KERAS_ELMO_MODELS`,
            `./saved_models` or the source checkout's `saved_models`.

    Returns:
        The `Path` of the model directory.

    Raises:
        FileNotFoundError: listing where it looked and what it needs.

    Example:

    >>> resolve_model_dir("elmo_english_small")
    PosixPath('.../saved_models/elmo_english_small')
    """
    candidates = [Path(name_or_path)]
    if not Path(name_or_path).is_absolute():
        candidates += [root / name_or_path for root in _search_roots()]
    for candidate in candidates:
        if (candidate / OPTIONS_FILE).is_file() and (
            candidate / WEIGHTS_FILE
        ).is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"No ELMo model {str(name_or_path)!r}: none of [{looked}] holds both "
        f"{OPTIONS_FILE} and {WEIGHTS_FILE}."
    )
