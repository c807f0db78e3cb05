"""Running sidecars as child processes in development: start, watch, restart, reload."""
