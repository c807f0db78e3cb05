"""Motia's Slack moderation webhook, from its docs, runs unchanged (issue 17).

The step (tests/projects/motia_slack/, TypeScript, its original text) receives Slack's
interactive-component callback: `application/x-www-form-urlencoded` with the JSON in a
`payload` field, signed `v0=` + HMAC-SHA256(signing secret, "v0:<timestamp>:<body>") over
the exact bytes Slack sent. A correctly signed request gets 200, a wrongly signed one 401.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.harness import ROOT, HostProcess

PROJECT = ROOT / "tests" / "projects" / "motia_slack"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the example secret of Slack's docs

PAYLOAD = {
    "type": "block_actions",
    "user": {"id": "U123", "name": "moderator"},
    "message": {"ts": "1712345678.000100"},
    "actions": [{"action_id": "approve_content", "value": "submission-42"}],
}


def slack_post(client: httpx.Client, payload: dict[str, Any], secret: str) -> httpx.Response:
    """What Slack sends: the form-encoded payload, its timestamp and its signature."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return client.post(
        "/slack/webhook",
        content=body,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": signature,
        },
    )


def test_motias_slack_webhook_accepts_a_signed_form_post_and_refuses_a_forged_one(
    start_host: Callable[..., HostProcess],
) -> None:
    host = start_host(PROJECT, env={"SLACK_SIGNING_SECRET": SIGNING_SECRET})
    assert host.steps()["SlackWebhook"]["live"]
    with host.client() as client:
        r = slack_post(client, PAYLOAD, SIGNING_SECRET)
        assert r.status_code == 200, r.text
        assert r.json()["text"].endswith("Decision recorded: APPROVE by moderator")

        forged = slack_post(client, PAYLOAD, "not-the-signing-secret")
        assert forged.status_code == 401, forged.text
        assert forged.json() == {"error": "Unauthorized"}
