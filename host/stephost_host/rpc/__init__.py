"""The gRPC side: the port sidecars dial, and one Session per connected sidecar."""
