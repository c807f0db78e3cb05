def config
  { "name" => "val-rb-sink", "type" => "event", "subscribes" => ["val.rb"],
    "input" => { "type" => "object",
                 "properties" => { "id" => { "type" => "string" }, "qty" => { "type" => "integer" } },
                 "required" => %w[id qty] },
    "emits" => [], "flows" => ["validation"] }
end

def handler(data, ctx)
  ctx.state.set("val", "rb:#{data['id']}", data)
end
