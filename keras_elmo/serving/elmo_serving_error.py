"""The error raised by `ELMoClient` when a Predict call fails."""


class ELMoServingError(RuntimeError):
    """A Predict call to TF Serving failed; carries the gRPC status.

    Args:
        message: str. What failed, with the target, model and signature.
        code: `grpc.StatusCode` or None. The status of the failed call, e.g.
            `INVALID_ARGUMENT` for a bad request, `DEADLINE_EXCEEDED` for a
            timeout, `UNAVAILABLE` when no server answers, `NOT_FOUND` for
            an unknown model or version.
        details: str. The server's (or gRPC's) error message.

    Example:

    ```python
    try:
        client.embed(["Hello world"])
    except keras_elmo.serving.ELMoServingError as error:
        print(error.code, error.details)
    ```
    """

    def __init__(self, message, code=None, details=""):
        super().__init__(message)
        self.code = code
        self.details = details
