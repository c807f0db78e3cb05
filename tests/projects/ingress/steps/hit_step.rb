def config
  { "name" => "ingress-rb", "type" => "event", "subscribes" => ["ingress.hit"], "emits" => [], "flows" => ["ingress"] }
end

def handler(data, ctx)
  ctx.state.set("ingress-hits", "#{data['id']}:ruby", { "lang" => "ruby", "traceId" => ctx.trace_id, "data" => data })
end
