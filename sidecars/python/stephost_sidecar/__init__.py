"""The Python sidecar: loads a project's Python steps and serves them to a stephost host."""
