import module_that_does_not_exist  # noqa: F401

config = {"name": "import-error", "type": "noop"}
