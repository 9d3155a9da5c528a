"""Runs `train_language_model(strategy="mirrored")` on 2 logical CPUs.

A helper of `distribution_test.py`, run in a fresh process: logical devices
can only be configured before TensorFlow initialises its runtime, and one
process should create one strategy.

Usage:

    python tests/training/run_mirrored.py ARGS_JSON

`ARGS_JSON` holds `output_dir` and `TrainingConfig` fields (JSON values);
`learning_rate` selects plain SGD at that rate. Prints one JSON line with
the number of replicas, the final step and the history.
"""

import json
import sys

import tensorflow as tf


def main(argv):
    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu,
        [tf.config.LogicalDeviceConfiguration()] * 2,
    )

    import keras

    from keras_elmo.training.trainer import train_language_model
    from keras_elmo.training.training_config import TrainingConfig

    arguments = json.loads(argv[1])
    output_dir = arguments.pop("output_dir")
    learning_rate = arguments.pop("learning_rate")
    result = train_language_model(
        output_dir,
        TrainingConfig(strategy="mirrored", **arguments),
        optimizer=keras.optimizers.SGD(learning_rate),
        verbose=0,
    )
    replicas = result["model"].distribute_strategy.num_replicas_in_sync
    print(
        json.dumps(
            {
                "replicas": replicas,
                "step": result["step"],
                "history": result["history"],
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
