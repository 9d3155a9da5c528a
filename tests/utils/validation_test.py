import numpy as np
import pytest

from keras_elmo.utils.validation import check_finite
from keras_elmo.utils.validation import check_positive_int


@pytest.mark.parametrize(
    "value, expected", [(1, 1), (8192, 8192), (np.int64(3), 3)]
)
def test_positive_ints_pass(value, expected):
    result = check_positive_int(value, "n")
    assert result == expected and type(result) is int


@pytest.mark.parametrize("value", [0, -4, 2.5, "3", None, True, np.float32(2)])
def test_other_values_name_the_argument(value):
    with pytest.raises(ValueError, match=r"`size` must be a positive int\. "):
        check_positive_int(value, "size")


def test_check_finite_names_file_and_dataset():
    values = np.array([1.0, np.nan, np.inf], "float32")
    with pytest.raises(ValueError, match=r"w\.hdf5: 'RNN_0/W' holds 2 non"):
        check_finite(values, "w.hdf5", "RNN_0/W")
    assert check_finite([1.0], "f", "x") == [1.0]
    check_finite(np.arange(3), "f", "ids")  # integers are finite
