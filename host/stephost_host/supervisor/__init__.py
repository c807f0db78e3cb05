"""Dev-mode process supervision: starting each language's sidecar as a child process, watching
the project, restarting and reloading (the language runtimes themselves live in the top-level
``sidecars/`` folder)."""
