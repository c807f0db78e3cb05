def config
  {
    type: "event",
    name: "conf-flaky",
    subscribes: ["conf.flaky"],
    emits: [],
    infrastructure: { queue: { maxRetries: 3 } },
    flows: ["conformance"]
  }
end

def handler(input, ctx)
  id = input.fetch("id")
  n = (ctx.state.get("conf-flaky", id) || 0) + 1
  ctx.state.set("conf-flaky", id, n)
  raise "flaky failure" if n < 2

  ctx.logger.info("conf-flaky succeeded", { id: id, attempts: n })
  ctx.state.set("conf", "flaky-#{id}", { attempts: n })
end
