"""The event services of the embedded AWS, made to run offline: Step Functions executions whose Lambda tasks
run the real handlers, EventBridge rules that start executions, SQS event source mappings polled as Lambda
polls them, and EventBridge Scheduler schedules checked as configuration and fired on demand.

`world` (EventsWorld: deploy a SAM template and run it), `patches` (where moto stops short, patched),
`environments` and `function_server` (a function's execution environment, a process of its own),
`pollers` (the SQS poller), `targets` (what EventBridge hands a target), `scheduler` (universal targets).
"""

from .environments import FunctionEnvironment, FunctionSpec
from .patches import Delivery, Invocation
from .pollers import Batch, SqsPoller
from .scheduler import Fired, TargetInvalid, validate_target
from .world import Deployment, EventsWorld

__all__ = [
    "Batch",
    "Delivery",
    "Deployment",
    "EventsWorld",
    "Fired",
    "FunctionEnvironment",
    "FunctionSpec",
    "Invocation",
    "SqsPoller",
    "TargetInvalid",
    "validate_target",
]
