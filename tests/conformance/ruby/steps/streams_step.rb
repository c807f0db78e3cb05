def config
  { "name" => "conf-streams", "type" => "api", "path" => "/streams/:group", "method" => "POST", "emits" => [],
    "flows" => ["conformance"] }
end

def handler(req, ctx)
  g = req["pathParams"]["group"]
  id = req["body"]["id"]
  items = ctx.streams["conf-items"]
  r1 = items.set(g, id, { "title" => req["body"]["title"] })
  r2 = items.get(g, id)
  r3 = items.get_group(g)
  items.send_event({ groupId: g, id: id }, { type: "ping", data: { n: 1 } })
  r4 = items.delete(g, id)
  r5 = items.get(g, id)
  invalid = begin
    items.set(g, "bad", { "nope" => 1 })
    nil
  rescue Stephost::HostError => e
    e.message
  end
  { status: 200, body: { set: r1, get: r2, group: r3, deleted: r4, afterDelete: r5, invalid: invalid } }
end
