def config
  {
    type: "cron",
    name: "conf-tick",
    cron: "* * * * * *",
    emits: [],
    flows: ["conformance"]
  }
end

def handler(ctx)
  n = (ctx.state.get("conf", "ticks") || 0) + 1
  ctx.state.set("conf", "ticks", n)
end
