"""Cron schedules: one fire per tick across every host sharing NATS."""
