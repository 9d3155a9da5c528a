import json

import pytest

from tests.python_subprocess import run_python

# XLA reads its flags once per process, so the trace runs in a fresh one.
TRACE_A_COMPILED_FUNCTION = """
import json

import tensorflow as tf

from benchmarks.profile_train_step import hlo_op_seconds

a = tf.random.stateless_normal((256, 256), seed=(1, 2))
f = tf.function(lambda: tf.tanh(tf.matmul(a, a)) + 1.0, jit_compile=True)
f()
print(json.dumps(hlo_op_seconds(lambda: f().numpy(), steps=2)))
"""


@pytest.mark.large
@pytest.mark.tensorflow_only("the TensorFlow profiler")
def test_hlo_op_seconds_names_the_operations_of_a_compiled_function():
    result = run_python(
        TRACE_A_COMPILED_FUNCTION,
        env={
            "XLA_FLAGS": "--xla_cpu_enable_xprof_traceme=true",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        },
    )
    seconds = json.loads(result.stdout.strip().splitlines()[-1])
    # The matmul and its fused epilogue, each timed, nothing enclosing.
    assert any(name.lower().startswith(("matmul", "dot")) for name in seconds)
    assert "ThunkExecutor::Execute" not in seconds
    assert all(value > 0 for value in seconds.values())
