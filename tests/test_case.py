"""Shared test base class and the layer-test harness of keras_elmo.

Imports without TensorFlow (tests/without_tensorflow runs where it is not
installed): the base class is `tf.test.TestCase` where TensorFlow is
installed, and the same assertions in NumPy where it is not.
"""

from pathlib import Path

import keras
import numpy as np
import pytest
from absl.testing import parameterized
from keras import tree

from keras_elmo.utils.backend import tensorflow_installed

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "bilm_tf"


def require_shared_fixtures():
    """Skip the calling test when `../shared/fixtures/bilm_tf` is absent."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(
            "../shared/fixtures/bilm_tf not found: the parity tests need the "
            "shared bilm-tf fixtures"
        )


def shared_fixtures_dir():
    """Return the bilm-tf fixture directory, skipping the test if absent."""
    require_shared_fixtures()
    return SHARED_FIXTURES


def _is_tensor(x):
    return keras.ops.is_tensor(x) or isinstance(x, np.ndarray)


def _shapes(structure):
    return tree.map_structure(lambda x: tuple(x.shape), structure)


def _symbolic(structure):
    """`keras.KerasTensor`s with the shapes and dtypes of `structure`."""
    return tree.map_structure(
        lambda x: keras.KerasTensor(
            tuple(x.shape), dtype=keras.backend.standardize_dtype(x.dtype)
        ),
        structure,
    )


def _model_inputs(structure):
    """`keras.Input`s (unknown batch size) matching `structure`."""
    return tree.map_structure(
        lambda x: keras.Input(
            shape=tuple(x.shape)[1:],
            dtype=keras.backend.standardize_dtype(x.dtype),
        ),
        structure,
    )


def _split_call_kwargs(call_kwargs):
    """Split call kwargs into tensor kwargs and plain Python kwargs."""
    tensors = {k: v for k, v in call_kwargs.items() if _is_tensor(v)}
    others = {k: v for k, v in call_kwargs.items() if k not in tensors}
    return tensors, others


def to_numpy(structure):
    """`structure` with every backend tensor as a NumPy array.

    `tf.test.TestCase`'s assertions call `np.array` on their arguments,
    which fails on PyTorch tensors that require grad and is slow on JAX
    arrays; Keras's conversion works on every backend.
    """
    return tree.map_structure(
        lambda x: (
            keras.ops.convert_to_numpy(x) if keras.ops.is_tensor(x) else x
        ),
        structure,
    )


class NumpyAssertions(parameterized.TestCase):
    """`tf.test.TestCase`'s array assertions, in NumPy, for TensorFlow-free
    environments: the same shape check and tolerances (`|a - b| <= atol +
    rtol * |b|`, NaNs equal), over the same nested structures."""

    def get_temp_dir(self):
        """One temporary directory per test, as `tf.test.TestCase`'s."""
        if getattr(self, "_numpy_temp_dir", None) is None:
            self._numpy_temp_dir = self.create_tempdir().full_path
        return self._numpy_temp_dir

    def _assert_structures(self, a, b, compare, msg):
        if hasattr(a, "_asdict"):
            a = a._asdict()
        if hasattr(b, "_asdict"):
            b = b._asdict()
        if isinstance(a, dict) or isinstance(b, dict):
            self.assertIsInstance(a, dict, msg)
            self.assertIsInstance(b, dict, msg)
            self.assertCountEqual(a.keys(), b.keys(), msg)
            for key in a:
                self._assert_structures(a[key], b[key], compare, msg)
            return
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            try:
                a, b = np.asarray(a), np.asarray(b)
            except ValueError:  # items of different shapes: one by one
                self.assertEqual(len(a), len(b), msg)
                for a_item, b_item in zip(a, b):
                    self._assert_structures(a_item, b_item, compare, msg)
                return
        a, b = np.asarray(a), np.asarray(b)
        self.assertEqual(
            a.shape, b.shape, f"Shape mismatch: {a.shape} vs {b.shape}. {msg}"
        )
        compare(a, b)

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        def compare(a, b):
            np.testing.assert_allclose(
                a.astype(np.float64) if a.dtype.kind == "V" else a,
                b.astype(np.float64) if b.dtype.kind == "V" else b,
                rtol=rtol,
                atol=atol,
                equal_nan=True,
                err_msg=msg or "",
            )

        self._assert_structures(a, b, compare, msg)

    def assertAllEqual(self, a, b, msg=None):
        def compare(a, b):
            np.testing.assert_array_equal(a, b, err_msg=msg or "")

        self._assert_structures(a, b, compare, msg)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        try:
            self.assertAllClose(a, b, rtol=rtol, atol=atol)
        except AssertionError:
            return
        raise AssertionError(f"The two values are close at all elements. {msg}")

    def assertNotAllEqual(self, a, b, msg=None):
        try:
            self.assertAllEqual(a, b)
        except AssertionError:
            return
        raise AssertionError(f"The two values are equal at all elements. {msg}")


if tensorflow_installed():
    import tensorflow as tf

    _BaseTestCase = tf.test.TestCase
else:
    _BaseTestCase = NumpyAssertions


class TestCase(_BaseTestCase, parameterized.TestCase):
    """Base class of keras_elmo tests: `tf.test.TestCase` + parameterized.

    The assertions accept tensors of any Keras backend. Where TensorFlow is
    not installed, `NumpyAssertions` stands for `tf.test.TestCase`.
    """

    # `tf.test.TestCase.test_session` is a deprecated helper, not a test;
    # hide it from pytest collection.
    test_session = None

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        super().assertAllClose(
            to_numpy(a), to_numpy(b), rtol=rtol, atol=atol, msg=msg
        )

    def assertAllEqual(self, a, b, msg=None):
        super().assertAllEqual(to_numpy(a), to_numpy(b), msg=msg)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        super().assertNotAllClose(
            to_numpy(a), to_numpy(b), rtol=rtol, atol=atol, msg=msg
        )

    def setUp(self):
        super().setUp()
        keras.config.set_dtype_policy("float32")
        keras.utils.set_random_seed(0)

    def assertShapesCompatible(self, computed, actual, msg=None):
        """`computed` shapes (None = any size) match `actual` shapes."""
        computed = tree.map_shape_structure(tuple, computed)
        actual = tree.map_shape_structure(tuple, actual)
        self.assertEqual(
            tree.flatten(tree.map_shape_structure(len, computed)),
            tree.flatten(tree.map_shape_structure(len, actual)),
            msg=msg,
        )
        flat_computed = tree.flatten(computed)
        flat_actual = tree.flatten(actual)
        self.assertEqual(len(flat_computed), len(flat_actual), msg=msg)
        for c, a in zip(flat_computed, flat_actual):
            if c is not None and a is not None:
                self.assertEqual(c, a, msg=msg)

    def run_layer_test(
        self,
        cls,
        init_kwargs,
        input_data,
        expected_output_shape,
        expected_num_trainable_weights=None,
        expected_num_non_trainable_weights=None,
        call_kwargs=None,
        run_training_check=True,
        run_precision_checks=True,
        expected_output_dtype=None,
    ):
        """Run the standard checks every keras_elmo layer must pass.

        Args:
            cls: the layer class.
            init_kwargs: dict. Constructor arguments.
            input_data: tensor, or a dict/list of tensors: the first call
                argument.
            expected_output_shape: shape tuple, or a dict/list of them
                matching the output structure.
            expected_num_trainable_weights: int or None (not checked).
            expected_num_non_trainable_weights: int or None (not checked).
            call_kwargs: dict. Other call arguments; tensors among them
                (e.g. a mask) become model inputs in the symbolic and fit
                checks.
            run_training_check: bool. Fit one step inside a functional model.
            run_precision_checks: bool. Run under `mixed_float16` and
                `mixed_bfloat16` and check output and variable dtypes.
            expected_output_dtype: str or None. The dtype of every output
                under the float32 policy; if None, floating outputs must be
                `"float32"`.
        """
        call_kwargs = call_kwargs or {}
        tensor_kwargs, other_kwargs = _split_call_kwargs(call_kwargs)
        input_shapes = _shapes(input_data)

        # === Config round trip ===
        layer = cls(**init_kwargs)
        config = layer.get_config()
        self.assertEqual(cls.from_config(config).get_config(), config)
        serialized = keras.saving.serialize_keras_object(layer)
        revived = keras.saving.deserialize_keras_object(serialized)
        self.assertIsInstance(revived, cls)
        self.assertEqual(revived.get_config(), config)

        # === Build and weight counts ===
        layer.build(input_shapes)
        self.assertTrue(layer.built)
        if expected_num_trainable_weights is not None:
            self.assertLen(
                layer.trainable_weights, expected_num_trainable_weights
            )
        if expected_num_non_trainable_weights is not None:
            self.assertLen(
                layer.non_trainable_weights,
                expected_num_non_trainable_weights,
            )

        # === Symbolic call ===
        symbolic_outputs = cls(**init_kwargs)(
            _symbolic(input_data),
            **_symbolic(tensor_kwargs),
            **other_kwargs,
        )
        self.assertShapesCompatible(
            expected_output_shape, _shapes(symbolic_outputs)
        )
        self.assertShapesCompatible(
            layer.compute_output_shape(input_shapes),
            _shapes(symbolic_outputs),
        )

        # === Eager call ===
        outputs = layer(input_data, **call_kwargs)
        self.assertShapesCompatible(expected_output_shape, _shapes(outputs))
        self.assertEqual(_shapes(outputs), _shapes(symbolic_outputs))
        for output in tree.flatten(outputs):
            dtype = keras.backend.standardize_dtype(output.dtype)
            if expected_output_dtype is not None:
                self.assertEqual(dtype, expected_output_dtype)
            elif keras.backend.is_float_dtype(dtype):
                self.assertEqual(dtype, "float32")
        # A layer rebuilt from its config with the same weights agrees.
        clone = cls.from_config(config)
        clone.build(input_shapes)
        clone.set_weights(layer.get_weights())
        self.assertAllClose(
            tree.flatten(clone(input_data, **call_kwargs)),
            tree.flatten(outputs),
        )

        # === Fit step ===
        if run_training_check:
            model_inputs = _model_inputs(
                {"inputs": input_data, **tensor_kwargs}
            )
            model_outputs = cls(**init_kwargs)(
                model_inputs["inputs"],
                **{k: model_inputs[k] for k in tensor_kwargs},
                **other_kwargs,
            )
            model = keras.Model(model_inputs, model_outputs)
            model.compile(optimizer="sgd", loss="mse")
            rng = np.random.default_rng(0)
            targets = tree.map_structure(
                lambda x: rng.uniform(size=x.shape).astype("float32"),
                outputs,
            )
            history = model.fit(
                {"inputs": input_data, **tensor_kwargs},
                targets,
                batch_size=tree.flatten(input_shapes)[0],
                epochs=1,
                verbose=0,
            )
            self.assertTrue(np.isfinite(history.history["loss"][0]))

        # === Mixed precision ===
        if run_precision_checks:
            for policy in ("mixed_float16", "mixed_bfloat16"):
                mixed = cls(**{**init_kwargs, "dtype": policy})
                mixed_outputs = mixed(input_data, **call_kwargs)
                for output in tree.flatten(mixed_outputs):
                    if keras.backend.is_float_dtype(output.dtype):
                        self.assertEqual(
                            keras.backend.standardize_dtype(output.dtype),
                            mixed.compute_dtype,
                            msg=f"output dtype under {policy}",
                        )
                for weight in mixed.weights:
                    if keras.backend.is_float_dtype(weight.dtype):
                        self.assertEqual(
                            weight.dtype,
                            "float32",
                            msg=f"{weight.path} under {policy}",
                        )

    def run_preset_test(
        self,
        cls,
        preset,
        input_data,
        reference_outputs=None,
        expected_layer_mix=None,
        check_warm_state=True,
        atol=1e-6,
    ):
        """Run the standard checks of one class's `from_preset` on a handle.

        In the manner of keras-hub's `run_preset_test`: the same checks for
        every class (`ELMo`, `ELMoEmbedding`, `ELMoEmbedder`,
        `ELMoLanguageModel`) and every preset format. The biLM inside the
        loaded object is what is compared, so the checks read the same for
        a model, a layer and an embedder.

        Checks:
            - it loads, and its biLM gives `reference_outputs` (the
              `"layers"` of an `ELMo` loaded another way) on `input_data`;
            - the preset's `layer_mix.json`, if `expected_layer_mix`
              (`(scalar_weights, gamma)`) is given, is applied;
            - `load_weights=False` gives the same architecture with other
              weights;
            - `initial_state="warm"` is honoured (the preset's
              `warm_state.npz` changes the outputs);
            - a bogus handle fails with a clear `ValueError`.

        Args:
            cls: the class whose `from_preset` to test.
            preset: str. The handle.
            input_data: int array of the model's ids (markers included).
            reference_outputs: array or `None`. Expected `"layers"`.
            expected_layer_mix: `(scalar_weights, gamma)` or `None`.
            check_warm_state: bool. The preset has a `warm_state.npz`.
            atol: float. Tolerance of the comparison.
        """
        loaded = cls.from_preset(preset)
        elmo = _elmo_of(loaded)
        outputs = to_numpy(elmo(input_data)["layers"])
        if reference_outputs is not None:
            self.assertAllClose(outputs, reference_outputs, atol=atol, rtol=0)
        if expected_layer_mix is not None:
            mix = loaded.layer_mix
            self.assertAllClose(mix.scalar_weights[0], expected_layer_mix[0])
            self.assertAllClose(mix.gammas[0], expected_layer_mix[1])

        # === load_weights=False: the architecture, fresh weights ===
        fresh = _elmo_of(cls.from_preset(preset, load_weights=False))
        architecture = {
            k: v
            for k, v in elmo.get_config().items()
            if k not in ("name", "trainable", "dtype")
        }
        self.assertEqual(
            {k: fresh.get_config()[k] for k in architecture}, architecture
        )
        self.assertNotAllClose(fresh(input_data)["layers"], outputs)

        # === initial_state is honoured by every class ===
        if check_warm_state:
            warm = _elmo_of(cls.from_preset(preset, initial_state="warm"))
            self.assertEqual(warm.initial_state, "warm")
            self.assertNotAllClose(warm(input_data)["layers"], outputs)

        # === A bogus handle ===
        with self.assertRaisesRegex(ValueError, "Unknown ELMo preset"):
            cls.from_preset(f"{preset}_bogus_name")


def _elmo_of(loaded):
    """The `ELMo` inside a loaded model, layer or embedder."""
    for attribute in ("elmo", "model"):
        inner = getattr(loaded, attribute, None)
        if inner is not None and hasattr(inner, "bilm"):
            return inner
    return loaded
