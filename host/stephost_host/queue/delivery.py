"""What a consumer reads about a JetStream delivery, from its ack subject.

``Msg.metadata`` parses every field of the subject into nats-py's dataclasses, a datetime
included, for every message. The consumer needs three numbers; this reads just those.
"""

from __future__ import annotations

from typing import NamedTuple

from nats.aio.msg import Msg
from nats.errors import NotJSMessageError

# $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ns>.<pending>, and
# the newer form with <domain>.<account hash> after $JS.ACK (and maybe a token at the end).
_V1_TOKENS = 9
_V2_TOKENS = 11


class Delivery(NamedTuple):
    attempt: int  # JetStream's delivery count for this message (1 on the first delivery)
    stream_seq: int  # where the message is kept in its stream
    stored_at: float  # when it was stored, Unix seconds


def delivery(msg: Msg) -> Delivery:
    """The delivery's numbers; ``NotJSMessageError`` when the message came from no consumer."""
    tokens = (msg.reply or "").split(".")
    if len(tokens) == _V1_TOKENS:
        at = 4
    elif len(tokens) >= _V2_TOKENS:
        at = 6
    else:
        raise NotJSMessageError
    if tokens[0] != "$JS" or tokens[1] != "ACK":
        raise NotJSMessageError
    return Delivery(int(tokens[at]), int(tokens[at + 1]), int(tokens[at + 3]) / 1e9)
