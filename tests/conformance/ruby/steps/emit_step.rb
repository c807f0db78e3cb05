# Symbol keys throughout; emit with keyword arguments.
def config
  {
    type: "api",
    name: "conf-emit",
    method: "POST",
    path: "/emit/:topic",
    emits: ["conf.note", "conf.flaky", "conf.doomed"],
    flows: ["conformance"]
  }
end

def handler(req, ctx)
  body = req[:body] || {}
  event = { topic: "conf.#{req[:path_params][:topic]}", data: body }
  event[:messageGroupId] = body[:group] if body.key?(:group)
  ctx.emit(event)
  { status: 202, body: { ok: true } }
end
