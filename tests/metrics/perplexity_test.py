import math

import keras
import numpy as np

from keras_elmo.metrics.perplexity import Perplexity
from tests.test_case import TestCase


class PerplexityTest(TestCase):
    def test_weights_batches_by_their_targets(self):
        metric = Perplexity()
        # Batch 1: 3 targets of NLL log(4); batch 2: 1 target of NLL log(16).
        metric.update_state(3 * math.log(4.0), 3)
        metric.update_state(math.log(16.0), 1)
        expected = math.exp((3 * math.log(4.0) + math.log(16.0)) / 4)
        self.assertAllClose(metric.result(), expected)  # 2 ** 2.5
        metric.reset_state()
        self.assertAllClose(metric.result(), 1.0)  # no target yet

    def test_config_round_trip(self):
        metric = Perplexity(name="forward_perplexity")
        restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
        self.assertIsInstance(restored, Perplexity)
        self.assertEqual(restored.name, "forward_perplexity")
        self.assertEqual(np.asarray(restored.result()), 1.0)
