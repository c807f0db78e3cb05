"""``stephost generate <what>``: one module per sub-command, each with ``add_parser(sub)``.

``step`` writes a new step file from the templates; ``openapi`` and ``types`` are built from
the project's step configs, which ``project`` loads the real way (a brief host on free ports
whose sidecars load the step files); the running host serves the same OpenAPI builder's output.
"""
