import os
import sys
import threading

config = {"type": "event", "name": "agent-exits-python", "subscribes": ["agent.exits"]}


async def handler(input, ctx):
    return None


if "--check" not in sys.argv:
    # A worker that dies a moment after its hello (a crash the deploy must see).
    timer = threading.Timer(
        1.0, lambda: (print("exiting on purpose", file=sys.stderr, flush=True), os._exit(3))
    )
    timer.daemon = True
    timer.start()
