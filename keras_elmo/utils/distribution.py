"""Facts about the distribution a model runs under, on every backend."""

import sys


def worker_count(strategy):
    """Number of worker processes that each run the program.

    Args:
        strategy: a `tf.distribute.Strategy`, or None (JAX and PyTorch
            runs: one process).

    Returns:
        The chief and workers of a `MultiWorkerMirroredStrategy`'s cluster;
        1 for every other strategy (a `TPUStrategy` feeds its hosts from
        one client) and without one.

    Example:

    >>> worker_count(tf.distribute.get_strategy())
    1
    """
    # A MultiWorkerMirroredStrategy exists only where TensorFlow was
    # imported: never import it here.
    tf = sys.modules.get("tensorflow")
    if strategy is None or tf is None:
        return 1
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return 1
    spec = strategy.cluster_resolver.cluster_spec().as_dict()
    return max(1, len(spec.get("chief", [])) + len(spec.get("worker", [])))
