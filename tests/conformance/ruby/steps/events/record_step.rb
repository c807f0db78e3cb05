def config
  {
    type: :event,
    name: "conf-record",
    subscribes: ["conf.note"],
    emits: [],
    input: {
      type: "object",
      properties: { key: { type: "string" }, value: {} },
      required: ["key"]
    },
    flows: ["conformance"]
  }
end

def handler(input, ctx)
  ctx.state.set("conf", input[:key], { value: input[:value], traceId: ctx.trace_id })
end
