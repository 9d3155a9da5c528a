"""`tests/test_case.py` where TensorFlow is absent: `NumpyAssertions`, the
base of `TestCase` there, asserts as `tf.test.TestCase` does."""

import collections

import numpy as np
import pytest

from tests.test_case import NumpyAssertions


class NumpyAssertionsTest(NumpyAssertions):
    def test_all_close_within_tolerance_over_structures(self):
        Pair = collections.namedtuple("Pair", ["a", "b"])
        expected = {"x": np.ones((2, 3)), "y": [np.zeros(2), np.ones(4)]}
        actual = {"x": np.ones((2, 3)) + 5e-7, "y": [np.zeros(2), np.ones(4)]}
        self.assertAllClose(expected, actual)
        self.assertAllClose(Pair(1.0, [2.0]), Pair(1.0, [2.0 + 1e-7]))
        self.assertAllClose([np.nan, 1.0], [np.nan, 1.0])  # NaNs equal
        self.assertAllClose([1.0], [1.01], rtol=0, atol=0.02)
        self.assertNotAllClose(np.ones(3), np.ones(3) + 1e-3)

    def test_all_close_fails_where_tensorflow_fails(self):
        with pytest.raises(AssertionError):
            self.assertAllClose(np.ones(3), np.ones(3) + 1e-3)
        with pytest.raises(AssertionError, match="Shape mismatch"):
            self.assertAllClose(np.ones((2, 1)), np.ones(2))  # no broadcast
        with pytest.raises(AssertionError):
            self.assertAllClose({"x": 1.0}, {"y": 1.0})
        with pytest.raises(AssertionError):
            self.assertNotAllClose(np.ones(3), np.ones(3))

    def test_all_equal(self):
        self.assertAllEqual(np.arange(3), [0, 1, 2])
        self.assertAllEqual(np.array([b"a", b"b"]), [b"a", b"b"])
        self.assertNotAllEqual(np.arange(3), [0, 1, 3])
        with pytest.raises(AssertionError):
            self.assertAllEqual(np.arange(3), [0, 1, 3])
        with pytest.raises(AssertionError):
            self.assertNotAllEqual([1], [1])

    def test_one_temp_dir_per_test(self):
        directory = self.get_temp_dir()
        assert directory == self.get_temp_dir()
