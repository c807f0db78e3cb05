"""Every NATS subject, stream, bucket and consumer name stephost uses, in one place.

Topics, step names, state groups and keys are user strings; NATS forbids some
characters in subjects and keys, so they are encoded here: strings made only of safe
characters stay readable, anything else becomes ``=`` + base64url.
"""

from __future__ import annotations

import base64
import hashlib
import re

EVENTS_STREAM = "STEPHOST_EVENTS"
EVENTS_SUBJECTS = "stephost.events.>"
REPLAY_SUBJECTS = "stephost.replay.>"  # dead letters sent back to one step's consumer only
DLQ_STREAM = "STEPHOST_DLQ"
DLQ_SUBJECTS = "stephost.dlq.>"
STATE_BUCKET = "stephost_state"
CRON_LOCK_BUCKET = "stephost_cron_locks"
STREAMS_BUCKET = "stephost_streams"
LEASE_BUCKET = "stephost_leases"  # who consumes a FIFO step right now
FAILURES_BUCKET = "stephost_failures"  # when an event being retried first failed
STREAM_CHANGES = "stephost.streams.>"  # core NATS: every host fans changes out to its clients
# Deployments (deployments/): records, the per-project number, the active-version pointer and
# the one-at-a-time lock in one bucket; env values apart (never read by the APIs); source
# archives and built bundles in an object store; every deploy's full log in a stream.
DEPLOY_BUCKET = "stephost_deployments"
DEPLOY_ENV_BUCKET = "stephost_deploy_env"
BUNDLE_STORE = "stephost_bundles"
DEPLOY_LOGS_STREAM = "STEPHOST_DEPLOY_LOGS"
DEPLOY_LOGS_SUBJECTS = "stephost.deploylogs.>"
ACTIVE_KEY = "active"  # in DEPLOY_BUCKET: {"deploymentId", "version"}, changed only by CAS
DEPLOY_SEQ_KEY = "seq"
DEPLOY_LOCK_KEY = "lock"

HEADER_TRACE = "Stephost-Trace-Id"
HEADER_GROUP = "Stephost-Message-Group"
HEADER_SOURCE = "Stephost-Source-Step"

_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_SAFE_TOPIC = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def token(text: str) -> str:
    """One subject token / KV key part for any string (reversible with untoken)."""
    return text if _SAFE_TOKEN.fullmatch(text) else "=" + _b64(text)


def untoken(part: str) -> str:
    if not part.startswith("="):
        return part
    raw = part[1:]
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()


def topic_subject(topic: str) -> str:
    # Dotted topics keep their dots so `nats sub 'stephost.events.user.>'` works.
    body = topic if _SAFE_TOPIC.fullmatch(topic) else token(topic)
    return f"stephost.events.{body}"


def dlq_subject(step: str) -> str:
    return f"stephost.dlq.{token(step)}"


def consumer_name(topic: str, step: str) -> str:
    """A durable consumer per (topic, step): readable prefix plus a hash for uniqueness."""
    digest = hashlib.sha256(f"{topic}\0{step}".encode()).hexdigest()[:12]
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", step)[:40]
    return f"ev_{readable}_{digest}"


def state_key(group: str, key: str) -> str:
    return f"{token(group)}.{token(key)}"


def state_group_filter(group: str) -> str:
    return f"{token(group)}.*"


def cron_lock_key(step: str, fire_epoch: int) -> str:
    return f"{token(step)}.{fire_epoch}"


def stream_item_key(stream: str, group: str, item: str) -> str:
    return f"{token(stream)}.{token(group)}.{token(item)}"


def stream_group_filter(stream: str, group: str) -> str:
    return f"{token(stream)}.{token(group)}.*"


def stream_changes_subject(stream: str, group: str) -> str:
    return f"stephost.streams.{token(stream)}.{token(group)}"


def fifo_lease_key(consumer: str) -> str:
    return f"fifo.{consumer}"


def replay_subject(consumer: str) -> str:
    return f"stephost.replay.{consumer}"


def failure_key(consumer: str, seq: int) -> str:
    return f"{consumer}.{seq}"


def deployment_key(deployment_id: str) -> str:
    return f"rec.{token(deployment_id)}"


def deploy_logs_subject(deployment_id: str) -> str:
    return f"stephost.deploylogs.{token(deployment_id)}"


def source_object(digest: str) -> str:
    return f"sources/{digest}"


def bundle_object(language: str, digest: str) -> str:
    return f"bundles/{language}/{digest}"


# observe/: spans and log records, kept for the Workbench in one bounded stream. Published in
# batches with core NATS (no ack awaited) on subjects the stream keeps, so every host reads
# every host's: spans and logs apart, so a live log tail receives no span, and a read of one
# kind is not handed the other.
OBSERVE_STREAM = "STEPHOST_OBSERVE"
OBSERVE_SUBJECTS = "stephost.observe.>"
OBSERVE_SPANS = "stephost.observe.spans"
OBSERVE_LOGS = "stephost.observe.logs"
HEADER_TRACEPARENT = "traceparent"  # W3C trace context: the emitting invocation is the parent
