# A failing event step that only retries once, then lands in dead letters.
class DoomedError < StandardError; end

def config
  {
    type: "event",
    name: "conf-doomed",
    subscribes: ["conf.doomed"],
    emits: [],
    infrastructure: { queue: { maxRetries: 1 } },
    flows: ["conformance"]
  }
end

def handler(input, _ctx)
  raise DoomedError, "doomed: #{input[:id]}"
end
