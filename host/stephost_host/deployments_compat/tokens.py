"""Motia's ``deploymentToken``: valid for one deployment, until it expires.

Signed, not stored: ``<deploymentId>.<expiry>.<hmac>`` under a key derived from the host's
secret, which every host of the cluster shares, so any host can check a token another host
made and nothing is kept beside the deployment record.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TTL_SECONDS = 3600.0  # between /cloud/deploy/create and the last status read with it


class DeploymentTokens:
    def __init__(self, secret: str, ttl: float = TTL_SECONDS) -> None:
        # A key of its own: a deployment token is never the secret's MAC of anything else.
        self._key = hmac.new(secret.encode(), b"stephost deployment token", hashlib.sha256).digest()
        self.ttl = ttl

    def _sign(self, deployment_id: str, expiry: int) -> str:
        return hmac.new(self._key, f"{deployment_id}.{expiry}".encode(), hashlib.sha256).hexdigest()

    def make(self, deployment_id: str) -> str:
        expiry = int(time.time() + self.ttl)
        return f"{deployment_id}.{expiry}.{self._sign(deployment_id, expiry)}"

    def deployment(self, token: str) -> str | None:
        """The deployment a well-signed, unexpired token is for; None otherwise."""
        deployment_id, _, rest = token.partition(".")
        expiry, _, signature = rest.partition(".")
        if not deployment_id or not expiry.isdigit() or int(expiry) < time.time():
            return None
        if not hmac.compare_digest(signature, self._sign(deployment_id, int(expiry))):
            return None
        return deployment_id

    def valid(self, token: str, deployment_id: str) -> bool:
        return self.deployment(token) == deployment_id
