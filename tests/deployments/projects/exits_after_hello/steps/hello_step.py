import os
import sys
import threading

config = {"type": "api", "name": "deploy-hello", "method": "GET", "path": "/hello"}


async def handler(req, ctx):
    return {"status": 200, "body": {"v": 0, "version": os.environ.get("STEPHOST_VERSION")}}


if "--check" not in sys.argv:
    # The build's check loads this file and passes; a worker dies a moment after its hello
    # (dialling and the hello take milliseconds), half-way into the host's 1 s settle (on a
    # very slow machine, before its hello: the deploy fails the same way). At 1.0 s it died
    # at the settle's very end, and the deploy could count it ready first.
    timer = threading.Timer(
        0.5, lambda: (print("exiting on purpose", file=sys.stderr, flush=True), os._exit(3))
    )
    timer.daemon = True
    timer.start()
