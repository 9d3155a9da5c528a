"""The output check every writing command makes before any work.

See `keras_elmo.utils.output_paths.check_output_path`: the output is not an
input, not a directory of someone else's files, not inside the installed
package, a shipped model's folder or the download cache, and its place is
writable.
"""

import os

from keras_elmo.utils.output_paths import check_output_path

# A preset's options file (presets.preset_directory.OPTIONS_FILE; that
# module imports TensorFlow, which `build-vocab` never does).
_OPTIONS = "options.json"


def _near_a_preset(path):
    # A preset directory, or a model folder holding one, on the way up.
    path = os.path.abspath(path)
    while True:
        for candidate in (_OPTIONS, os.path.join("preset", _OPTIONS)):
            if os.path.isfile(os.path.join(path, candidate)):
                return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def _preset_is_replaceable(path):
    from keras_elmo.presets.preset_directory import check_replaceable

    try:
        check_replaceable(path)
    except OSError:
        return False
    return True


def check_output(
    output, inputs=(), kind="file", argument="--output", light=False
):
    """Check a command's output before any work (see `check_output_path`).

    Args:
        output: str. The output path.
        inputs: iterable of str. The paths the command reads.
        kind: `"file"`, `"directory"` (replaced as a whole: only a preset
            keras_elmo wrote may be) or `"parent"` (written into).
        argument: str. The argument naming `output`, for messages.
        light: bool. For commands that never import TensorFlow: the
            registry of shipped models (which imports it) is read only
            when a preset lies on the output's path.

    Example:

    ```python
    check_output(args.output, inputs=files)
    ```
    """
    roots = ()
    if not light or _near_a_preset(output):
        from keras_elmo.presets.read_only_paths import read_only_roots

        roots = read_only_roots()
    check_output_path(
        output,
        inputs=[path for path in inputs if path],
        kind=kind,
        argument=argument,
        read_only_roots=roots,
        replaceable=_preset_is_replaceable,
    )
