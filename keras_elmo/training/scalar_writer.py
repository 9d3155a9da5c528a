"""TensorBoard scalar summaries, with or without TensorFlow.

On the TensorFlow backend scalars go through `tf.summary`. Elsewhere (JAX,
PyTorch, or no TensorFlow installed) they are written with the
`tensorboard` package's own event-file writer and protos, in the same form
as `tf.summary.scalar` writes them (a float tensor with the `scalars`
plugin's metadata): TensorBoard shows both alike, and
`EventAccumulator.Tensors(tag)` reads both back.
"""

import time

import keras

from keras_elmo.utils.backend import tensorflow_installed


class _TensorFlowWriter:
    def __init__(self, log_dir):
        import tensorflow as tf

        self._tf = tf
        self._writer = tf.summary.create_file_writer(log_dir)

    def scalars(self, values, step):
        with self._writer.as_default(step=step):
            for tag, value in values.items():
                self._tf.summary.scalar(tag, float(value))
        self._writer.flush()

    def close(self):
        self._writer.close()


class _TensorBoardWriter:
    def __init__(self, log_dir):
        from tensorboard.compat.proto import event_pb2
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.compat.proto import tensor_pb2
        from tensorboard.compat.proto import tensor_shape_pb2
        from tensorboard.compat.proto import types_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._event_pb2 = event_pb2
        self._summary_pb2 = summary_pb2
        self._tensor_pb2 = tensor_pb2
        self._shape = tensor_shape_pb2.TensorShapeProto()
        self._dtype = types_pb2.DT_FLOAT
        self._metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                plugin_name="scalars"
            )
        )
        self._writer = EventFileWriter(log_dir)

    def scalars(self, values, step):
        summary = self._summary_pb2.Summary(
            value=[
                self._summary_pb2.Summary.Value(
                    tag=tag,
                    tensor=self._tensor_pb2.TensorProto(
                        dtype=self._dtype,
                        tensor_shape=self._shape,
                        float_val=[float(value)],
                    ),
                    metadata=self._metadata,
                )
                for tag, value in values.items()
            ]
        )
        self._writer.add_event(
            self._event_pb2.Event(
                wall_time=time.time(), step=int(step), summary=summary
            )
        )
        self._writer.flush()

    def close(self):
        self._writer.close()


def scalar_writer(log_dir):
    """A writer of TensorBoard scalars into `log_dir` (one event file).

    Args:
        log_dir: str. The directory (made if missing).

    Returns:
        An object with `scalars({tag: value}, step)` (written and flushed
        at once) and `close()`: `tf.summary` on the TensorFlow backend,
        the `tensorboard` package's writer elsewhere.

    Example:

    ```python
    writer = scalar_writer("runs/en/logs/train")
    writer.scalars({"loss": 4.2}, step=100)
    writer.close()
    ```
    """
    log_dir = str(log_dir)
    if keras.config.backend() == "tensorflow" and tensorflow_installed():
        return _TensorFlowWriter(log_dir)
    return _TensorBoardWriter(log_dir)
