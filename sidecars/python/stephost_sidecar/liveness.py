"""Heartbeats from outside the event loop, for while a handler blocks it.

The stream to the host and the handlers share one event loop: no thread hand-off per message.
An ``async def`` handler that blocks that loop (``time.sleep``, a long computation) stops the
stream's own heartbeats too, and the host would drop the sidecar after three intervals. So a
thread watches when the loop last sent a heartbeat; while that is late it calls the host's
``Beat`` on a channel of its own (grpc's blocking API: it needs no event loop). The watchdog
(``watchdog.py``) meanwhile names the step that blocks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import grpc

from stephost_sidecar.proto import codec, pb, pb_grpc

log = logging.getLogger("stephost.sidecar")
# The loop's heartbeat counts as late past this many intervals (the host waits three).
LATE = 1.5


class Liveness:
    def __init__(self, target: str, secret: str, sidecar_id: str, in_flight: Callable[[], int]) -> None:
        self.target = target
        self.secret = secret
        self.sidecar_id = sidecar_id
        self.in_flight = in_flight
        self.interval = 0.0  # 0: not connected, nothing to keep alive
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._channel: grpc.Channel | None = None
        self._failing = False  # the last Beat failed: said once, not every interval

    def beat_sent(self) -> None:
        """The loop sent a heartbeat on the stream (any thread may read this)."""
        self._last = time.monotonic()

    def connected(self, interval: float) -> None:
        """Welcomed with this heartbeat interval: keep the sidecar alive from now on."""
        self.interval = interval
        self._last = time.monotonic()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stephost-liveness", daemon=True)
            self._thread.start()

    def disconnected(self) -> None:
        self.interval = 0.0

    def stop(self) -> None:
        self._stop.set()
        if self._channel is not None:
            self._channel.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval / 2 if self.interval else 0.5):
            if self.interval and time.monotonic() - self._last > LATE * self.interval:
                self._beat()

    def _beat(self) -> None:
        if self._channel is None:
            self._channel = grpc.insecure_channel(self.target, options=codec.grpc_options())
        request = pb.BeatRequest(sidecar_id=self.sidecar_id, secret=self.secret, in_flight=self.in_flight())
        try:
            pb_grpc.SidecarHostStub(self._channel).Beat(request, timeout=max(self.interval, 1.0))
        except grpc.RpcError as exc:
            if not self._failing:
                log.warning("heartbeat beside the blocked loop failed: %s", exc.details() or exc.code().name)
            self._failing = True
            return
        self._failing = False
