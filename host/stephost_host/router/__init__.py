"""Routing: the registry of steps (by version), the HTTP route table, and the invoker that
picks a live sidecar session of the active version and waits for its answer."""
