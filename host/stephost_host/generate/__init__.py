"""``stephost generate <what>``: one module per sub-command (``step``, ...), each with
``add_parser(sub)`` and ``run(args)``; ``commands/generate.py`` lists them."""
