"""nats-server's output lines, read for their level and message (natsio/embedded.py)."""

from __future__ import annotations

import logging

import pytest

from stephost_host.natsio.embedded import server_line


@pytest.mark.parametrize(
    ("line", "level", "message"),
    [
        (
            "[12599] 2026/11/30 03:29:42.537400 [WRN] Plaintext passwords detected, use nkeys or bcrypt",
            logging.WARNING,
            "Plaintext passwords detected, use nkeys or bcrypt",
        ),
        (
            "[7] 2026/11/30 03:29:42.537400 [ERR] 127.0.0.1:5 - cid:6 - authentication error",
            logging.ERROR,
            "127.0.0.1:5 - cid:6 - authentication error",
        ),
        (
            "[7] 2026/11/30 03:29:42.537400 [FTL] Error listening on port",
            logging.ERROR,
            "Error listening on port",
        ),
        ("[7] 2026/11/30 03:29:42.537400 [INF] Server is ready", logging.DEBUG, "Server is ready"),
        ("[7] 2026/11/30 03:29:42.537400 [INF] ", logging.DEBUG, ""),
        ("[7] [WRN] no time stamp (logtime: false)", logging.WARNING, "no time stamp (logtime: false)"),
        ("[DBG] neither pid nor time", logging.DEBUG, "neither pid nor time"),
        # Unprefixed: a panic or a start-up error on stderr; worth seeing.
        (
            "panic: runtime error: index out of range",
            logging.WARNING,
            "panic: runtime error: index out of range",
        ),
        ("nats-server: conf:3:1: unknown field", logging.WARNING, "nats-server: conf:3:1: unknown field"),
    ],
)
def test_a_line_gives_its_level_and_message_without_pid_and_time(line: str, level: int, message: str) -> None:
    assert server_line(line) == (level, message)
