"""Lambda durable functions (aws-durable-execution-sdk-python), what a durable handler of this project adds to
the SDK: failures whose ErrorType is the project's error code (`failures`), a retry strategy that retries
only transient AWS failures (`retries`), and the execution timeout a job's waits must fit in (`settings`,
pure). A feature slice: nothing else in shared/ imports it, and it needs the durable SDK only here."""

from .failures import Failure, failure, failure_class, step_failure, with_error_codes
from .retries import NO_RETRY, transient_aws_retry
from .settings import DurableSettings

__all__ = [
    "NO_RETRY",
    "DurableSettings",
    "Failure",
    "failure",
    "failure_class",
    "step_failure",
    "transient_aws_retry",
    "with_error_codes",
]
