"""Choosing a sidecar for each invocation and waiting for its answer."""
