"""utils.progress: a hidden bar imports no tqdm; a shown one is tqdm's."""

import sys

import tqdm

from keras_elmo.utils.progress import progress_bar
from tests.python_subprocess import run_python


def test_a_shown_bar_is_tqdm(capsys):
    bar = progress_bar(True, total=4, unit="sentence")
    bar.update(4)
    bar.close()

    assert isinstance(bar, tqdm.tqdm)
    assert "4/4" in capsys.readouterr().err


def test_a_hidden_bar_counts_silently_without_tqdm():
    # A process where tqdm cannot be imported (an image installed with
    # `pip install --no-deps`) embeds without a bar.
    result = run_python(
        "import sys; sys.modules['tqdm'] = None\n"
        "from keras_elmo.utils.progress import progress_bar\n"
        "bar = progress_bar(False, total=3)\n"
        "bar.update(3); bar.close()\n"
        "print('tqdm' in sys.modules and sys.modules['tqdm'] is not None)\n"
    )

    assert result.stdout.strip() == "False"
    assert sys.modules["tqdm"] is tqdm
