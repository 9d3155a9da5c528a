"""Facts about the `tf.distribute` strategy a model runs under."""

from keras_elmo.utils.lazy_module import LazyModule

# On first use: the modules that import this one import without TensorFlow.
tf = LazyModule("tensorflow", feature="A tf.distribute strategy")


def worker_count(strategy):
    """Number of worker processes that each run the program.

    Args:
        strategy: a `tf.distribute.Strategy`.

    Returns:
        The chief and workers of a `MultiWorkerMirroredStrategy`'s cluster;
        1 for every other strategy (a `TPUStrategy` feeds its hosts from
        one client).

    Example:

    >>> worker_count(tf.distribute.get_strategy())
    1
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return 1
    spec = strategy.cluster_resolver.cluster_spec().as_dict()
    return max(1, len(spec.get("chief", [])) + len(spec.get("worker", [])))
