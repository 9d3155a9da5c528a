"""Progress bars that need `tqdm` only when they are shown.

`tqdm` is a dependency of keras_elmo, but an accelerator image that adds
keras_elmo with `pip install --no-deps` (benchmarks/accelerator_check.py)
may lack it: a bar that is not shown must not import it.
"""

import importlib


class _HiddenBar:
    """The part of `tqdm.tqdm`'s interface the package uses, doing nothing."""

    def update(self, n=1):
        del n

    def close(self):
        pass


def progress_bar(show, **kwargs):
    """A `tqdm.tqdm` bar on stderr, or a silent stand-in when not `show`n.

    Args:
        show: bool. Show the bar (imports `tqdm`).
        **kwargs: `tqdm.tqdm` arguments (`total`, `unit`, `desc`, ...).

    Returns:
        An object with `update(n)` and `close()`.

    Example:

    >>> bar = progress_bar(False, total=10, unit="sentence")
    >>> bar.update(3)
    >>> bar.close()
    """
    if not show:
        return _HiddenBar()
    return importlib.import_module("tqdm").tqdm(**kwargs)
