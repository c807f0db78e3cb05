"""What the host created in NATS, remembered outside NATS, so a lost store is noticed.

nats-server skips a stream whose files it cannot read (metadata corrupted, directory
deleted) and carries on without it; a host that then creates what is missing starts
from an empty stream and every event or state item in it is gone without a word. So
the host records each stream and bucket it has seen in ``store.json`` (next to the
embedded server's store), and on start refuses to create one the record says existed,
unless told to (``recreate_missing_store``). While it runs, ``StoreWatch`` notices the
embedded store's directory disappearing, so readiness and writes fail at once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from stephost_host.config import ConfigError

log = logging.getLogger("stephost.nats")
RECORD = "store.json"
FLAG = "--recreate-missing-store (setting recreate_missing_store)"


class MissingStore(ConfigError):
    """A stream or bucket the host made before is gone; starting would replace it empty."""


def server_key(url: str) -> str:
    """Which NATS the record is about: the embedded one, or the external servers named
    (host:port, sorted, never the credentials a URL may carry)."""
    if not url:
        return "embedded"
    servers = []
    for u in url.split(","):
        if u.strip():
            parts = urlsplit(u.strip() if "://" in u else f"nats://{u.strip()}")
            servers.append(f"{parts.hostname}:{parts.port or 4222}")
    return ",".join(sorted(servers))


class StoreRecord:
    """``store.json``: {"nats": server_key, "seen": {name: first seen, unix seconds}}."""

    def __init__(self, path: Path, nats: str, *, recreate_missing: bool) -> None:
        self.path = path
        self.nats = nats
        self.recreate_missing = recreate_missing
        self.seen = self._load()
        self.missing: list[str] = []

    def _load(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{self.path} cannot be read ({exc}); restore it, or delete it to start over"
            ) from None
        if (
            not isinstance(data, dict) or data.get("nats") != self.nats
        ):  # another NATS: what it had says nothing about this one
            return {}
        return {str(k): float(v) for k, v in dict(data.get("seen", {})).items()}

    def may_create(self, name: str) -> bool:
        """Whether creating ``name`` (NATS does not have it) is safe; notes it if not."""
        if name not in self.seen:
            return True
        if self.recreate_missing:
            log.warning("%s existed and NATS no longer has it; creating it empty (%s)", name, FLAG)
            return True
        self.missing.append(name)
        return False

    def refuse_if_missing(self) -> None:
        if not self.missing:
            return
        gone = ", ".join(
            f"{n} (first seen {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(self.seen[n]))})"
            for n in self.missing
        )
        raise MissingStore(
            f"NATS no longer has {gone}, which this host created or used before (recorded in {self.path}). "
            "Its files were deleted or could not be read (see nats-server's warnings above); creating it "
            "again would start it empty and lose what it held. Restore the store, or start with "
            f"{FLAG} to accept the loss and create it empty"
        )

    def note(self, names: list[str]) -> None:
        """Remember every stream and bucket in place now (written atomically)."""
        now = time.time()
        self.seen = {n: self.seen.get(n, now) for n in names} | {
            n: t for n, t in self.seen.items() if n not in names
        }
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"nats": self.nats, "seen": self.seen}, indent=1))
        os.replace(tmp, self.path)


class StoreWatch:
    """Why the embedded store cannot keep writes now (None: it can).

    A deleted store directory does not stop nats-server: it keeps acknowledging writes
    into files that no longer have a name, and all of them are gone at the next start.
    """

    def __init__(self, store: Path | None) -> None:
        self.store = store  # the embedded server's JetStream directory; None for an external NATS

    def __call__(self) -> str | None:
        if self.store is None or self.store.is_dir():
            return None
        return (
            f"the embedded NATS store {self.store} no longer exists (was the state directory deleted "
            "while the host ran?); what is written now would be lost at the next start. Stop the host "
            "and restore the state directory, or restart it to begin with an empty store"
        )
