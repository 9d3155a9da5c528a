"""A test-only, in-process TF Serving `PredictionService` over gRPC.

It runs SavedModels the way `tensorflow_model_server` does, so the gRPC
path can be tested without the server binary: each model's latest version
under its base path is loaded with the TF1 session loader, and `Predict`
feeds and fetches the signature's tensors by name, with the same request
checks and status codes as TF Serving's `predict_util.cc` (unknown model
-> NOT_FOUND, unknown signature -> FAILED_PRECONDITION, wrong inputs, bad
tensors or a failing run -> INVALID_ARGUMENT). Only 127.0.0.1 is bound.
"""

import contextlib
import os
import time
from concurrent import futures

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

PREDICT_METHOD = "tensorflow/serving/predict"
DEFAULT_SIGNATURE = "serving_default"


def _grpc_code(tf_error_code):
    # TensorFlow's error codes are the gRPC status codes.
    for code in grpc.StatusCode:
        if code.value[0] == tf_error_code:
            return code
    return grpc.StatusCode.UNKNOWN


class _Servable:
    """One loaded version of a model: its graph, session and signatures."""

    def __init__(self, name, version, path):
        self.name = name
        self.version = version
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        with self.graph.as_default():
            meta_graph = tf.compat.v1.saved_model.loader.load(
                self.session, ["serve"], path
            )
        self.signatures = dict(meta_graph.signature_def)

    def close(self):
        self.session.close()


def _latest_version(base_path):
    versions = [
        int(name)
        for name in os.listdir(base_path)
        if name.isdigit() and os.path.isdir(os.path.join(base_path, name))
    ]
    if not versions:
        raise ValueError(f"No version directory under {base_path}")
    return max(versions)


class FakePredictionService(
    prediction_service_pb2_grpc.PredictionServiceServicer
):
    """Serves the latest version of each `{model_name: base_path}`.

    Args:
        model_base_paths: dict from model name to TF Serving base path.
        delay_seconds: float. Sleep before answering (for timeout tests).
    """

    def __init__(self, model_base_paths, delay_seconds=0.0):
        self.delay_seconds = delay_seconds
        self.servables = {}
        for name, base_path in model_base_paths.items():
            version = _latest_version(base_path)
            self.servables[name] = _Servable(
                name, version, os.path.join(base_path, str(version))
            )

    def close(self):
        for servable in self.servables.values():
            servable.close()

    def _servable(self, model_spec, context):
        servable = self.servables.get(model_spec.name)
        wanted = (
            model_spec.version.value if model_spec.HasField("version") else None
        )
        if servable is None or wanted not in (None, servable.version):
            request = (
                f"Latest({model_spec.name})"
                if wanted is None
                else f"Specific({model_spec.name}, {wanted})"
            )
            context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"Servable not found for request: {request}",
            )
        return servable

    def Predict(self, request, context):
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        servable = self._servable(request.model_spec, context)
        signature_name = request.model_spec.signature_name or DEFAULT_SIGNATURE
        signature = servable.signatures.get(signature_name)
        if signature is None:
            context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'Serving signature key "{signature_name}" not found.',
            )
        if signature.method_name != PREDICT_METHOD:
            context.abort(
                grpc.StatusCode.INTERNAL,
                "Expected prediction signature method_name to be "
                f"{PREDICT_METHOD}. Was: {signature.method_name}",
            )
        sent = set(request.inputs)
        expected = set(signature.inputs)
        if sent != expected:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"input size does not match signature: {len(sent)}!="
                f"{len(expected)} len({{{','.join(sorted(sent))}}}) != "
                f"len({{{','.join(sorted(expected))}}}). Sent extra: "
                f"{{{','.join(sorted(sent - expected))}}}. Missing but "
                f"required: {{{','.join(sorted(expected - sent))}}}.",
            )
        feeds = {}
        for alias, tensor_proto in request.inputs.items():
            expected_dtype = signature.inputs[alias].dtype
            if tensor_proto.dtype != expected_dtype:
                # The C++ session rejects a fed tensor of another dtype; the
                # Python one would silently convert it.
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Expects arg {alias} to be "
                    f"{types_pb2.DataType.Name(expected_dtype)} but "
                    f"{types_pb2.DataType.Name(tensor_proto.dtype)} is "
                    "provided",
                )
            try:
                value = tf.make_ndarray(tensor_proto)
            except Exception as error:  # noqa: BLE001 - any parse failure
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"tensor parsing error: {alias}: {error}",
                )
            feeds[signature.inputs[alias].name] = value
        aliases = list(request.output_filter) or sorted(signature.outputs)
        for alias in aliases:
            if alias not in signature.outputs:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"output tensor alias not found in signature: {alias} "
                    "Outputs expected to be in the set "
                    f"{{{','.join(sorted(signature.outputs))}}}.",
                )
        if len(set(aliases)) != len(aliases):
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"duplicate output tensor alias: {aliases}",
            )
        fetches = [signature.outputs[alias].name for alias in aliases]
        try:
            values = servable.session.run(fetches, feed_dict=feeds)
        except tf.errors.OpError as error:
            context.abort(_grpc_code(error.error_code), error.message)
        except (ValueError, TypeError) as error:
            # The Python session checks feed shapes and dtypes before the
            # run; the C++ server reports the same mismatches this way.
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        response = predict_pb2.PredictResponse()
        response.model_spec.name = servable.name
        response.model_spec.signature_name = signature_name
        response.model_spec.version.value = servable.version
        for alias, value in zip(aliases, values):
            response.outputs[alias].CopyFrom(
                tf.make_tensor_proto(np.asarray(value))
            )
        return response


@contextlib.contextmanager
def serve(model_base_paths, delay_seconds=0.0):
    """Run a `FakePredictionService` on 127.0.0.1; yields `"host:port"`.

    Args:
        model_base_paths: dict from model name to TF Serving base path.
        delay_seconds: float. See `FakePredictionService`.
    """
    service = FakePredictionService(model_base_paths, delay_seconds)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=2),
        options=[
            ("grpc.max_receive_message_length", -1),
            ("grpc.max_send_message_length", -1),
        ],
    )
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        service, server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None).wait()
        service.close()
