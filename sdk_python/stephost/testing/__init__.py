"""Testing helpers: a real host on your project, and a mock context for one handler.

``create_tester`` starts ``stephost dev`` on free ports (embedded NATS, a temp state dir);
``create_mock_context`` gives a handler a context that records its emits and logs and keeps
state and streams in memory. With pytest, the ``stephost_tester`` fixture (this package's
pytest plugin) starts one tester per test module on the project at $STEPHOST_PROJECT or
the rootdir. The Node (``stephost/testing``) and Ruby (``stephost/testing``) helpers have
the same shape.
"""

from stephost.testing.mock import MockContext, create_mock_context
from stephost.testing.tester import Response, Tester, TesterError, Watcher, create_tester

createMockContext = create_mock_context
createTester = create_tester

__all__ = [
    "MockContext",
    "Response",
    "Tester",
    "TesterError",
    "Watcher",
    "createMockContext",
    "createTester",
    "create_mock_context",
    "create_tester",
]
