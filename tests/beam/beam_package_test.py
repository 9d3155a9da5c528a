"""keras_elmo works without Beam; keras_elmo.beam says how to get it."""

import pytest

from tests.python_subprocess import run_python
from tests.test_case import REPO_ROOT

# Make `import apache_beam` fail as if it were not installed.
NO_BEAM = "import sys; sys.modules['apache_beam'] = None; "


def test_keras_elmo_imports_without_beam():
    code = NO_BEAM + (
        "import keras_elmo\n"
        "from keras_elmo.cli.main import build_parser\n"
        "build_parser()\n"
        "try:\n"
        "    import keras_elmo.beam\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    result = run_python(code, env={"PYTHONPATH": str(REPO_ROOT)}, timeout=120)
    assert result.stdout.strip() == (
        'keras_elmo.beam needs Apache Beam: pip install "keras-elmo[beam]"'
    )


@pytest.mark.large  # the command imports TensorFlow first
def test_command_without_beam_is_one_clear_line(tmp_path):
    code = NO_BEAM + (
        "from keras_elmo.cli.main import main\n"
        f"code = main(['embed-corpus', 'in.txt', {str(tmp_path)!r}, "
        "'--model', 'elmo_tiny_en'])\n"
        "print(code)\n"
    )
    result = run_python(code, env={"PYTHONPATH": str(REPO_ROOT)}, timeout=300)
    assert result.stdout.strip().splitlines()[-1] == "2"
    assert result.stderr.strip().splitlines()[-1] == (
        "keras-elmo embed-corpus: error: needs Apache Beam: "
        'pip install "keras-elmo[beam]"'
    )
