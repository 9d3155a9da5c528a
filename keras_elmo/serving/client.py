"""A gRPC client of an ELMo SavedModel served by TensorFlow Serving."""

import numpy as np

from keras_elmo.serving.elmo_serving_error import ELMoServingError
from keras_elmo.utils.lazy_module import LazyModule

# Imported on first use: `keras_elmo.serving` imports where TensorFlow and
# the serving API are not installed, and using the client there says how to
# install them (`keras-elmo[serving]`).
FEATURE = "The TF Serving client (`ELMoClient`)"
grpc = LazyModule("grpc", feature=FEATURE, extra="serving")
tf = LazyModule("tensorflow", feature=FEATURE, extra="serving")
tensor_pb2 = LazyModule(
    "tensorflow.core.framework.tensor_pb2", feature=FEATURE, extra="serving"
)
predict_pb2 = LazyModule(
    "tensorflow_serving.apis.predict_pb2", feature=FEATURE, extra="serving"
)
prediction_service_pb2_grpc = LazyModule(
    "tensorflow_serving.apis.prediction_service_pb2_grpc",
    feature=FEATURE,
    extra="serving",
)

DEFAULT_SIGNATURE = "serving_default"


def _check_text(value, what):
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    raise TypeError(
        f"{what} must be str or bytes. Received: {value!r} of type "
        f"{type(value).__name__}"
    )


def _check_sequence(values, what, example):
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"{what} must be a list, not a single string. Received: "
            f"{values!r}; wrap it, e.g. {example}."
        )
    try:
        return list(values)
    except TypeError:
        raise TypeError(
            f"{what} must be a list. Received: {values!r} of type "
            f"{type(values).__name__}"
        ) from None


def _string_tensor(values, shape):
    array = np.array(values, dtype=object).reshape(shape)
    return tf.make_tensor_proto(array, dtype=tf.string, shape=shape)


def _sentences_inputs(sentences):
    sentences = _check_sequence(sentences, "`sentences`", '["Hello world"]')
    encoded = [_check_text(s, f"Sentence {i}") for i, s in enumerate(sentences)]
    return {"sentences": _string_tensor(encoded, [len(encoded)])}


def _tokens_inputs(token_lists):
    token_lists = _check_sequence(
        token_lists, "`inputs` of the tokens signature", '[["Hello", "!"]]'
    )
    rows = []
    for i, tokens in enumerate(token_lists):
        tokens = _check_sequence(
            tokens, f"Sentence {i} of the tokens signature", '["Hello"]'
        )
        rows.append(
            [
                _check_text(t, f"Token {j} of sentence {i}")
                for j, t in enumerate(tokens)
            ]
        )
    lengths = [len(row) for row in rows]
    width = max(lengths, default=0)
    padded = [t for row in rows for t in row + [b""] * (width - len(row))]
    return {
        "tokens": _string_tensor(padded, [len(rows), width]),
        "sequence_len": tf.make_tensor_proto(
            np.array(lengths, np.int32), shape=[len(rows)]
        ),
    }


def _char_ids_inputs(char_ids):
    array = np.asarray(char_ids)
    if array.ndim != 3 or not (
        array.size == 0 or np.issubdtype(array.dtype, np.integer)
    ):
        raise ValueError(
            "`inputs` of the char_ids signature must be an integer array "
            "[batch, tokens, max_characters_per_token], e.g. from "
            "`keras_elmo.batch_to_char_ids`. Received: array of shape "
            f"{array.shape} and dtype {array.dtype}"
        )
    if array.size and array.dtype != np.int32:
        # A cast would wrap (int64 2**32 + 5 -> 5): out-of-range ids must
        # reach the server's range check, or be refused here.
        info = np.iinfo(np.int32)
        low, high = int(array.min()), int(array.max())
        if low < info.min or high > info.max:
            raise ValueError(
                "`inputs` of the char_ids signature hold ids outside int32 "
                "(the served dtype); valid ids are 0 (padding) to 261. "
                f"Received values in [{low}, {high}]"
            )
    return {"char_ids": tf.make_tensor_proto(array.astype(np.int32))}


_INPUT_BUILDERS = {
    "serving_default": _sentences_inputs,
    "tokens": _tokens_inputs,
    "char_ids": _char_ids_inputs,
}


class ELMoClient:
    """Calls an ELMo exported by `export_saved_model` on TF Serving (gRPC).

    Builds `PredictRequest`s from Python strings, sends them to a
    `tensorflow_model_server` and returns the outputs as NumPy arrays. The
    request format follows the signature (`serving_default`, `tokens` or
    `char_ids`); `predict` sends arbitrary inputs to any signature. Every
    failed call raises `ELMoServingError` with the gRPC status code: a
    timeout gives `DEADLINE_EXCEEDED`, no server `UNAVAILABLE`, a bad
    request `INVALID_ARGUMENT`.

    Args:
        target: str. The server's gRPC address, `"host:port"` (TF Serving's
            `--port`, 8500 by default).
        model_name: str. The served model's name (`--model_name` or the
            `name` of the model config).
        signature_name: str. Defaults to `"serving_default"` (raw
            sentences).
        model_version: int or None. A specific version; `None` asks for the
            server's default (the latest). Defaults to `None`.
        timeout: float. Seconds each call may take. Defaults to `30.0`.
        credentials: `grpc.ChannelCredentials` or None. TLS credentials;
            `None` opens an insecure channel. Defaults to `None`.
        max_message_bytes: int. The largest response (and request) accepted;
            ELMo outputs are large (4 bytes x tokens x 1024 per layer).
            Defaults to `-1`, no limit.

    Example:

    ```python
    with keras_elmo.serving.ELMoClient("localhost:8500", "elmo") as client:
        outputs = client.embed(["The cat sat .", "Hello"])
    outputs["elmo"].shape  # (2, 4, 1024)
    outputs["sequence_len"]  # array([4, 1], dtype=int32)
    ```
    """

    def __init__(
        self,
        target,
        model_name,
        signature_name=DEFAULT_SIGNATURE,
        model_version=None,
        timeout=30.0,
        credentials=None,
        max_message_bytes=-1,
    ):
        for module in (grpc, tf, predict_pb2, prediction_service_pb2_grpc):
            module.load()  # where not installed: one line, how to install
        for name, value in (
            ("target", target),
            ("model_name", model_name),
            ("signature_name", signature_name),
        ):
            if not isinstance(value, str) or not value:
                raise ValueError(
                    f"`{name}` must be a non-empty str. Received: "
                    f"{name}={value!r}"
                )
        if model_version is not None and (
            isinstance(model_version, bool)
            or not isinstance(model_version, int)
            or model_version < 0
        ):
            raise ValueError(
                "`model_version` must be an int >= 0 or None. Received: "
                f"model_version={model_version!r}"
            )
        self._check_timeout(timeout)
        self.target = target
        self.model_name = model_name
        self.signature_name = signature_name
        self.model_version = model_version
        self.timeout = float(timeout)
        options = [
            ("grpc.max_receive_message_length", int(max_message_bytes)),
            ("grpc.max_send_message_length", int(max_message_bytes)),
        ]
        if credentials is None:
            self._channel = grpc.insecure_channel(target, options=options)
        else:
            self._channel = grpc.secure_channel(
                target, credentials, options=options
            )
        self._stub = prediction_service_pb2_grpc.PredictionServiceStub(
            self._channel
        )

    @staticmethod
    def _check_timeout(timeout):
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not timeout > 0
        ):
            raise ValueError(
                f"`timeout` must be a positive number of seconds. Received: "
                f"timeout={timeout!r}"
            )

    def embed(self, inputs, output_keys=None, timeout=None):
        """ELMo outputs of a batch, in the input format of the signature.

        Args:
            inputs: for `serving_default`, a list of sentences (str or
                bytes), split by the server; for `tokens`, a list of token
                lists (padded and measured here); for `char_ids`, an int
                array `[batch, tokens + 2, 50]` from
                `keras_elmo.batch_to_char_ids`.
            output_keys: list of str or None. Only these outputs (e.g.
                `["elmo", "sequence_len"]`), which saves bandwidth; `None`
                returns all of them.
            timeout: float or None. Seconds for this call; defaults to the
                client's `timeout`.

        Returns:
            A dict of NumPy arrays: `word_emb`, `lstm_outputs1` ...,
            `elmo`, `default`, `sequence_len` and `mask` (or `output_keys`).

        Example:

        ```python
        client.embed(["Hello world"], output_keys=["elmo"])["elmo"]
        ```
        """
        if self.signature_name not in _INPUT_BUILDERS:
            raise ValueError(
                f"`embed` knows the signatures {sorted(_INPUT_BUILDERS)}; "
                f"use `predict` with a dict of arrays for "
                f"signature_name={self.signature_name!r}."
            )
        tensors = _INPUT_BUILDERS[self.signature_name](inputs)
        return self._call(tensors, output_keys, timeout)

    def predict(self, inputs, output_keys=None, timeout=None):
        """Raw Predict call: a dict of arrays in, a dict of arrays out.

        Args:
            inputs: dict from the signature's input names to array-likes
                (NumPy arrays, lists, or `TensorProto`s).
            output_keys: list of str or None. See `embed`.
            timeout: float or None. See `embed`.

        Returns:
            A dict of NumPy arrays.

        Example:

        ```python
        client = ELMoClient("localhost:8500", "elmo", "tokens")
        client.predict({"tokens": [["Hi", ""]], "sequence_len": [1]})
        ```
        """
        if not isinstance(inputs, dict):
            raise TypeError(
                "`inputs` must be a dict from input names to arrays. "
                f"Received: {type(inputs).__name__}"
            )
        tensors = {}
        for name, value in inputs.items():
            if not isinstance(value, tensor_pb2.TensorProto):
                value = tf.make_tensor_proto(value)
            tensors[name] = value
        return self._call(tensors, output_keys, timeout)

    def _request(self, tensors, output_keys):
        request = predict_pb2.PredictRequest()
        request.model_spec.name = self.model_name
        request.model_spec.signature_name = self.signature_name
        if self.model_version is not None:
            request.model_spec.version.value = self.model_version
        for name, tensor in tensors.items():
            request.inputs[name].CopyFrom(tensor)
        if output_keys is not None:
            if isinstance(output_keys, str):
                output_keys = [output_keys]
            request.output_filter.extend(output_keys)
        return request

    def _call(self, tensors, output_keys, timeout):
        timeout = self.timeout if timeout is None else timeout
        self._check_timeout(timeout)
        request = self._request(tensors, output_keys)
        try:
            response = self._stub.Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            code, details = error.code(), error.details()
            hint = {
                grpc.StatusCode.DEADLINE_EXCEEDED: (
                    f" (no answer within the {timeout:g} s timeout)"
                ),
                grpc.StatusCode.UNAVAILABLE: (
                    " (is tensorflow_model_server running and listening "
                    "for gRPC there?)"
                ),
            }.get(code, "")
            raise ELMoServingError(
                f"Predict of model {self.model_name!r}, signature "
                f"{self.signature_name!r} at {self.target} failed with "
                f"{code.name if code else 'no status'}{hint}: {details}",
                code=code,
                details=details or "",
            ) from None
        return {
            name: tf.make_ndarray(tensor)
            for name, tensor in response.outputs.items()
        }

    def close(self):
        """Closes the gRPC channel."""
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
