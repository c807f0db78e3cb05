def config
  { "name" => "mixed-rb-b", "type" => "event", "subscribes" => ["mixed.b1"], "emits" => ["mixed.b2"],
    "flows" => ["mixed"] }
end

def handler(data, ctx)
  seen = ctx.state.get("mixed", data["id"])
  ctx.state.set("mixed", data["id"], seen + [{ "lang" => "ruby", "traceId" => ctx.trace_id }])
  ctx.emit(topic: "mixed.b2", data: { id: data["id"] })
end
