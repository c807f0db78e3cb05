def config
  { name: "soak-last", type: "event", subscribes: ["soak.end"], emits: [],
    infrastructure: { handler: { timeout: 5 }, queue: { maxRetries: 50, visibilityTimeout: 8 } } }
end

# Counts how often each event reached the end of the chain (more than once is a duplicate).
def handler(data, ctx)
  seen = ctx.state.get("soak", data["id"]) || 0
  ctx.state.set("soak", data["id"], seen + 1)
end
