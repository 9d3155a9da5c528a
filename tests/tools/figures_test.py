"""tools.figures: the figure scripts' headless pyplot and atomic PNG write."""

import os

import pytest

from tools.figures import headless_pyplot
from tools.figures import save_figure

pytest.importorskip("matplotlib", reason="matplotlib (the `docs` extra)")


def test_save_figure_writes_a_png_and_leaves_no_temporary(tmp_path):
    plt = headless_pyplot()
    figure, axis = plt.subplots(figsize=(2, 2), dpi=50)
    axis.plot([0, 1], [1, 0])
    output = tmp_path / "figures" / "line.png"

    save_figure(figure, output)

    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.listdir(output.parent) == ["line.png"]
    assert not plt.get_fignums()  # closed


def test_a_failed_save_keeps_the_previous_figure(tmp_path):
    plt = headless_pyplot()
    output = tmp_path / "line.png"
    output.write_bytes(b"previous")
    figure, axis = plt.subplots(figsize=(2, 2), dpi=50)
    axis.plot([0, 1], [1, 0])
    figure.savefig = None  # not callable: the write fails midway

    with pytest.raises(TypeError):
        save_figure(figure, output)

    assert output.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["line.png"]
    plt.close(figure)
