"""Real-time streams: stored items (NATS KV), changes fanned out to every host, the WebSocket."""
