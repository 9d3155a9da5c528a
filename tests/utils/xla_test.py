import tensorflow as tf

from keras_elmo.utils.xla import in_xla_context
from tests.test_case import TestCase


class InXlaContextTest(TestCase):
    def test_eager_is_not_xla(self):
        self.assertFalse(in_xla_context())

    def test_graph_without_xla(self):
        seen = []

        @tf.function
        def fn(x):
            seen.append(in_xla_context())
            return x

        fn(tf.constant(1.0))
        self.assertEqual(seen, [False])

    def test_jit_compiled_function_and_nested_functions(self):
        seen = []

        @tf.function
        def inner(x):
            seen.append(in_xla_context())
            return x

        @tf.function(jit_compile=True)
        def outer(x):
            seen.append(in_xla_context())
            return inner(x)

        outer(tf.constant(1.0))
        self.assertEqual(seen, [True, True])
