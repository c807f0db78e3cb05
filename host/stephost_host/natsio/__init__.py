"""Connecting to NATS, or starting an embedded nats-server when none is configured."""
