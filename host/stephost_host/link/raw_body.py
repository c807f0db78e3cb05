"""An api request's bytes as they cross the link, and what each protocol version gets of them.

Every api invocation carries the body's exact bytes (the handler's ``rawBody``). Since
protocol 2 the parts of the body that are those bytes are not sent again: a JSON body is
left out of the payload, and a multipart upload's files are ranges of the bytes. A protocol
1 sidecar gets both copies, as it always did; this is the one place that knows the difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stephost_wire.v1 import sidecar_pb2 as pb


@dataclass(frozen=True, slots=True)
class RawBody:
    data: bytes = b""
    # A multipart upload's files: copies, or where each lies in ``data`` ([start, end)).
    files: Sequence[bytes] = ()
    file_ranges: Sequence[tuple[int, int]] = ()
    # The request in the payload leaves out its JSON body: it is ``data`` (UTF-8, checked).
    json_in_raw: bool = False

    def fill(self, inv: pb.Invocation, payload_json: str, protocol: int) -> str:
        """Put the bytes in ``inv`` as a sidecar speaking ``protocol`` reads them; returns the
        payload it reads (a protocol 1 sidecar's has the JSON body spliced back in, as text)."""
        inv.raw_body = self.data
        if protocol < 2:
            if self.json_in_raw:
                payload_json = f'{payload_json[:-1]},"body":{self.data.decode()}}}'
            inv.files.extend(self.files or [self.data[start:end] for start, end in self.file_ranges])
        elif self.file_ranges:
            inv.file_ranges.extend(pb.ByteRange(start=start, end=end) for start, end in self.file_ranges)
        else:
            inv.files.extend(self.files)
        return payload_json
