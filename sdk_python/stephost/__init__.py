"""stephost: the SDK a Python step author imports.

Step files need nothing from here to run (``config`` + ``handler`` is enough); import
the context type for annotations and the errors to control retries.
"""

from stephost.client import AsyncClient, Client, IngressError, Receipt, StepInfo, StreamChange
from stephost.context import Context, Logger, State, Stream, Streams
from stephost.errors import HostCallError, NonRetryableError, RetryableError, StephostError

__all__ = [
    "AsyncClient",
    "Client",
    "Context",
    "HostCallError",
    "IngressError",
    "Logger",
    "NonRetryableError",
    "Receipt",
    "RetryableError",
    "State",
    "StepInfo",
    "StephostError",
    "Stream",
    "StreamChange",
    "Streams",
]
