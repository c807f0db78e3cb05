"""Durable event queues on NATS JetStream: publishing, consuming with retries, dead letters."""
