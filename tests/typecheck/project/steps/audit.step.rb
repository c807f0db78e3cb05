def config
  { "name" => "tc-audit", "type" => "event", "subscribes" => ["tc.shipped"],
    "input" => { "type" => "object",
                 "properties" => { "id" => { "type" => "string" }, "carrier" => { "enum" => %w[ups dhl] } },
                 "required" => %w[id carrier] },
    "emits" => [], "flows" => ["typecheck"] }
end

def handler(data, ctx)
  ctx.state.set("tc-audit", data["id"], data)
end
