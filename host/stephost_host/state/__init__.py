"""State shared by every step in every language, on a NATS KV bucket."""
