"""The sidecar link: the gRPC port sidecars dial, one Session per connected sidecar, and the
door that turns a handler's calls (emit, state, streams) into host operations."""
