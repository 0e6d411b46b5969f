"""The wire between the local cloud and a function's execution environment: the Runtime Interface
Emulator's invocation path, the request id header, the function error header."""

__all__ = ["FUNCTION_ERROR_HEADER", "INVOCATIONS_PATH", "REQUEST_ID_HEADER"]

INVOCATIONS_PATH = "/2015-03-31/functions/function/invocations"
REQUEST_ID_HEADER = "Lambda-Runtime-Aws-Request-Id"
FUNCTION_ERROR_HEADER = "X-Amz-Function-Error"
