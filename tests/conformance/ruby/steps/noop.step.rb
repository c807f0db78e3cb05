# Diagram-only: a noop step needs no handler.
CONFIG = {
  type: "noop",
  name: "conf-noop",
  description: "Checks that noop steps register",
  virtualEmits: [],
  virtualSubscribes: [],
  flows: ["conformance"]
}.freeze
