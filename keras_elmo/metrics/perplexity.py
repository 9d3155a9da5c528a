"""Perplexity: exp of the mean negative log-likelihood per target token."""

import keras
from keras import ops

from keras_elmo.api_export import keras_elmo_serializable


@keras_elmo_serializable
class Perplexity(keras.metrics.Metric):
    """Corpus perplexity `exp(sum(nll) / number of targets)`.

    Accumulates the summed negative log-likelihood and the number of real
    targets (tokens with a label), so batches with different numbers of
    targets are weighted correctly.

    Args:
        name: str. Metric name. Defaults to `"perplexity"`.
        **kwargs: other `keras.metrics.Metric` arguments.

    Example:

    ```python
    metric = keras_elmo.metrics.Perplexity()
    metric.update_state(nll_sum=ops.log(4.0) * 3, count=3)
    metric.result()  # 4.0
    ```
    """

    def __init__(self, name="perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.nll_sum = self.add_variable((), "zeros", name="nll_sum")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, nll_sum, count):
        self.nll_sum.assign_add(ops.cast(nll_sum, "float32"))
        self.count.assign_add(ops.cast(count, "float32"))

    def result(self):
        return ops.exp(self.nll_sum / ops.maximum(self.count, 1.0))

    def reset_state(self):
        self.nll_sum.assign(0.0)
        self.count.assign(0.0)
