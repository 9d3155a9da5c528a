"""gRPC round trips of `ELMoClient` against an in-process PredictionService.

`fake_prediction_service` runs the exported SavedModel the way
`tensorflow_model_server` does (TF1 session, tensors fed and fetched by
their signature names, TF Serving's request checks and status codes), on
127.0.0.1 only.
"""

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.serving import ELMoClient
from keras_elmo.serving import ELMoServingError
from tests.export.exported_fixture import MODEL_NAME
from tests.export.exported_fixture import SENTENCE_CASES
from tests.export.exported_fixture import assert_outputs_match
from tests.export.exported_fixture import exported_model_base
from tests.export.exported_fixture import keras_reference
from tests.export.exported_fixture import split_sentence
from tests.serving.fake_prediction_service import serve


@pytest.fixture(scope="module")
def target():
    with serve({MODEL_NAME: exported_model_base()}) as address:
        yield address


@pytest.fixture(scope="module")
def stub(target):
    with grpc.insecure_channel(target) as channel:
        yield prediction_service_pb2_grpc.PredictionServiceStub(channel)


# === Round trips ===


@pytest.mark.parametrize("case", sorted(SENTENCE_CASES))
def test_sentences_round_trip(target, case):
    sentences = SENTENCE_CASES[case]
    with ELMoClient(target, MODEL_NAME) as client:
        outputs = client.embed(sentences)
    expected = keras_reference([split_sentence(s) for s in sentences])
    assert_outputs_match(outputs, expected)


def test_tokens_round_trip(target):
    token_lists = [["The", "cat", "sat", "."], [], [b"caf\xe9"], ["x" * 80]]
    with ELMoClient(target, MODEL_NAME, signature_name="tokens") as client:
        outputs = client.embed(token_lists)
    assert_outputs_match(outputs, keras_reference(token_lists))


def test_char_ids_round_trip(target):
    token_lists = [["Hello", "world"], ["!"]]
    with ELMoClient(target, MODEL_NAME, signature_name="char_ids") as client:
        outputs = client.embed(batch_to_char_ids(token_lists))
    assert_outputs_match(outputs, keras_reference(token_lists))


def test_output_keys_and_version(target):
    with ELMoClient(target, MODEL_NAME, model_version=1) as client:
        outputs = client.embed(["a b c"], output_keys=["elmo", "sequence_len"])
    assert sorted(outputs) == ["elmo", "sequence_len"]
    assert outputs["elmo"].shape == (1, 3, 32)
    assert outputs["sequence_len"].tolist() == [3]


def test_predict_with_raw_arrays(target):
    with ELMoClient(target, MODEL_NAME, signature_name="tokens") as client:
        outputs = client.predict(
            {
                "tokens": np.array([[b"Hi", b""]], dtype=object),
                "sequence_len": np.array([1], np.int32),
            },
            output_keys=["sequence_len", "mask"],
        )
    assert outputs["sequence_len"].tolist() == [1]
    assert outputs["mask"].tolist() == [[True, False]]


# === Malformed requests: clear gRPC statuses ===


def _request(signature_name="serving_default", model_name=MODEL_NAME, **kw):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    for name, value in kw.items():
        request.inputs[name].CopyFrom(value)
    return request


def _strings(values, shape=None):
    return tf.make_tensor_proto(
        np.array(values, dtype=object), dtype=tf.string, shape=shape
    )


def _corrupt_float_tensor():
    tensor = tf.make_tensor_proto(np.zeros((2, 3), np.float32))
    tensor.tensor_content = b"\x00" * 5  # 5 bytes for 6 floats
    return tensor


MALFORMED = {
    "missing_input": (_request(), grpc.StatusCode.INVALID_ARGUMENT),
    "extra_input": (
        _request(sentences=_strings(["a"]), other=_strings(["b"])),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "wrong_name": (
        _request(text=_strings(["a"])),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "wrong_dtype": (
        _request(sentences=tf.make_tensor_proto(np.array([1, 2], np.int32))),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "wrong_rank": (
        _request(sentences=_strings([["a", "b"]], shape=[1, 2])),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "corrupt_tensor": (
        _request("char_ids", char_ids=_corrupt_float_tensor()),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "char_ids_wrong_width": (
        _request(
            "char_ids",
            char_ids=tf.make_tensor_proto(np.ones((1, 3, 7), np.int32)),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "char_ids_out_of_range": (
        _request(
            "char_ids",
            char_ids=tf.make_tensor_proto(np.full((1, 3, 50), 999, np.int32)),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "sequence_len_too_long": (
        _request(
            "tokens",
            tokens=_strings([["a"]]),
            sequence_len=tf.make_tensor_proto(np.array([4], np.int32)),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "sequence_len_batch_mismatch": (
        _request(
            "tokens",
            tokens=_strings([["a"]]),
            sequence_len=tf.make_tensor_proto(np.array([1, 1], np.int32)),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "unknown_signature": (
        _request("embed", sentences=_strings(["a"])),
        grpc.StatusCode.FAILED_PRECONDITION,
    ),
    "unknown_model": (
        _request(model_name="bert", sentences=_strings(["a"])),
        grpc.StatusCode.NOT_FOUND,
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_request_gets_a_clear_status(stub, case):
    request, code = MALFORMED[case]
    with pytest.raises(grpc.RpcError) as info:
        stub.Predict(request, timeout=60)
    assert info.value.code() == code, info.value.details()
    assert info.value.details()


def test_unknown_output_filter(stub):
    request = _request(sentences=_strings(["a"]))
    request.output_filter.append("pooled")
    with pytest.raises(grpc.RpcError) as info:
        stub.Predict(request, timeout=60)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "output tensor alias not found" in info.value.details()


def test_server_still_serves_after_bad_requests(stub, target):
    for request, _ in MALFORMED.values():
        with pytest.raises(grpc.RpcError):
            stub.Predict(request, timeout=60)
    with ELMoClient(target, MODEL_NAME) as client:
        assert client.embed(["a b"])["sequence_len"].tolist() == [2]


# === Client errors ===


@pytest.mark.parametrize(
    "kwargs, code, message",
    [
        ({"model_name": "bert"}, grpc.StatusCode.NOT_FOUND, "bert"),
        ({"model_version": 7}, grpc.StatusCode.NOT_FOUND, "Specific"),
        (
            {"signature_name": "char_ids"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "char_ids",
        ),
    ],
)
def test_client_raises_serving_errors(target, kwargs, code, message):
    kwargs = {"model_name": MODEL_NAME, **kwargs}
    with ELMoClient(target, **kwargs) as client:
        with pytest.raises(ELMoServingError, match=message) as info:
            client.predict({"char_ids": np.ones((1, 3, 7), np.int32)})
    assert info.value.code == code
    assert info.value.details


def _ids_with(index, value):
    ids = batch_to_char_ids([["Hello", "world"], ["Hi"]])
    ids[index] = value
    return ids


@pytest.mark.parametrize(
    "ids, message",
    [
        (_ids_with((0, 1, 3), -1), "must lie in"),
        (_ids_with((0, 1), -5), "must lie in"),
        (_ids_with((0, 1, 7), 0), "mixes 0"),
        (_ids_with((0, 2), 0), "after an all-zero"),
    ],
)
def test_served_char_ids_are_validated(target, ids, message):
    with ELMoClient(target, MODEL_NAME, signature_name="char_ids") as client:
        with pytest.raises(ELMoServingError, match=message) as info:
            client.embed(ids)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "sentences, limit",
    [
        (["a " * 50000], "max_bytes_per_string"),  # 100,000 characters
        (["a " * 5000], "max_tokens_per_request"),  # 5,002 positions
        (["a " * 1000] * 5, "max_tokens_per_request"),  # 5 x 1,002
    ],
)
def test_oversized_request_is_invalid_argument(target, sentences, limit):
    with ELMoClient(target, MODEL_NAME) as client:
        with pytest.raises(ELMoServingError, match=limit) as info:
            client.embed(sentences)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_timeout():
    with serve({MODEL_NAME: exported_model_base()}, delay_seconds=2.0) as t:
        with ELMoClient(t, MODEL_NAME, timeout=0.2) as client:
            with pytest.raises(ELMoServingError, match="0.2 s timeout") as e:
                client.embed(["a"])
    assert e.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_no_server():
    with serve({MODEL_NAME: exported_model_base()}) as stopped_target:
        pass  # the port is closed again
    with ELMoClient(stopped_target, MODEL_NAME, timeout=10) as client:
        with pytest.raises(ELMoServingError, match="UNAVAILABLE") as info:
            client.embed(["a"])
    assert info.value.code == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize(
    "signature_name, inputs, error, message",
    [
        ("serving_default", "one sentence", TypeError, "not a single string"),
        ("serving_default", ["ok", 3], TypeError, "Sentence 1 must be str"),
        ("serving_default", 42, TypeError, "must be a list"),
        ("tokens", ["a b"], TypeError, "Sentence 0 of the tokens"),
        ("tokens", [["a", None]], TypeError, "Token 1 of sentence 0"),
        ("char_ids", [[1, 2]], ValueError, "integer array"),
        ("char_ids", np.ones((1, 2, 50), "float32"), ValueError, "integer"),
        # int64 2**32 + 5 would wrap to 5 in a cast to the served int32.
        (
            "char_ids",
            np.full((1, 3, 50), 2**32 + 5, np.int64),
            ValueError,
            "outside int32",
        ),
        ("custom", ["a"], ValueError, "use `predict`"),
    ],
)
def test_client_checks_inputs_before_sending(
    signature_name, inputs, error, message
):
    # No server: the checks fail before any call.
    with ELMoClient("127.0.0.1:1", MODEL_NAME, signature_name) as client:
        with pytest.raises(error, match=message):
            client.embed(inputs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"target": ""}, "`target` must be a non-empty str"),
        ({"model_name": None}, "`model_name` must be a non-empty str"),
        ({"timeout": 0}, "`timeout` must be a positive number"),
        ({"timeout": "1"}, "`timeout` must be a positive number"),
        ({"model_version": -1}, "`model_version` must be an int"),
    ],
)
def test_invalid_client_arguments(kwargs, message):
    kwargs = {"target": "127.0.0.1:1", "model_name": MODEL_NAME, **kwargs}
    with pytest.raises(ValueError, match=message):
        ELMoClient(**kwargs)


def test_predict_needs_a_dict():
    with ELMoClient("127.0.0.1:1", MODEL_NAME) as client:
        with pytest.raises(TypeError, match="must be a dict"):
            client.predict(["a"])
