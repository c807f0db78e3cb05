"""`stephost generate ...`: files made from a project's step configs.

``project`` loads the configs the real way (a brief host on free ports whose sidecars load
the step files); ``openapi`` and ``types`` each expose ``add_parser(sub)`` for
commands/generate.py and the builder the running host also serves.
"""
