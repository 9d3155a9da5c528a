"""The places keras_elmo never writes to: its package, shipped models, cache.

Derived from the registry (`BUILTIN_PRESETS`) and where the package data
is installed, never from a hard-coded folder name: a shipped preset's
directory, and the model folder that holds it when the preset is its
`preset/` subdirectory (a source checkout's `saved_models/<name>/`, in the
TF Serving layout with its `1/` export beside it).
"""

import os

from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.builtin_presets import package_preset_dir
from keras_elmo.presets.preset_directory import NESTED_PRESET_DIR
from keras_elmo.presets.preset_handles import cache_dir
from keras_elmo.utils.output_paths import PACKAGE_DIR
from keras_elmo.utils.output_paths import is_within


def read_only_roots():
    """The directories no command or export writes into.

    Returns:
        list of str: the installed package, each shipped preset's directory
        and model folder, and the download cache.

    Example:

    >>> read_only_roots()  # doctest: +SKIP
    ['.../keras_elmo', '.../saved_models/elmo_tiny_en/preset', ...]
    """
    roots = [PACKAGE_DIR]
    for name, entry in BUILTIN_PRESETS.items():
        if "package" not in entry:
            continue
        try:
            directory = os.path.realpath(package_preset_dir(name))
        except FileNotFoundError:
            continue  # not installed: nothing to protect
        roots.append(directory)
        if os.path.basename(directory) == NESTED_PRESET_DIR:
            roots.append(os.path.dirname(directory))
    roots.append(os.fspath(cache_dir()))
    return roots


def is_read_only(path):
    """Whether `path` lies in one of `read_only_roots()`.

    Example:

    >>> is_read_only("saved_models/elmo_tiny_en")  # in a checkout
    True
    """
    return any(is_within(path, root) for root in read_only_roots())
