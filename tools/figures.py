"""Matplotlib for the repository's figure scripts: headless, written atomically.

The figures in docs/figures/ are made by `tools.plot_pretraining_curves`
and `experiments.plot_layer_weights`; both open a headless pyplot and save
a PNG the same way, here.
"""

import os

from keras_elmo.utils.atomic import atomic_path


def headless_pyplot():
    """`matplotlib.pyplot` on the Agg backend (no display needed).

    Matplotlib is imported here, not at the scripts' top, so that their
    other functions (reading results, the tests of them) run without it
    (`pip install ".[docs]"` installs it).

    Returns:
        The `matplotlib.pyplot` module.

    Example:

    >>> plt = headless_pyplot()
    >>> figure, axis = plt.subplots()
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, output):
    """Lay out `figure`, write it to `output` (PNG) atomically, and close it.

    Args:
        figure: a `matplotlib.figure.Figure`.
        output: str or path-like. The PNG path; its directory is created.

    Example:

    >>> save_figure(figure, "docs/figures/pretraining_curves.png")
    """
    figure.tight_layout()
    output = os.path.abspath(output)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with atomic_path(output) as path:
        figure.savefig(path, format="png")
    headless_pyplot().close(figure)
