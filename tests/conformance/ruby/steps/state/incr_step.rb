def config
  {
    "type" => "api",
    "name" => "conf-incr",
    "method" => "POST",
    "path" => "/incr/:key",
    "emits" => [],
    # 1,000 updates against a second replica's: room for a loaded CI machine.
    "infrastructure" => { "handler" => { "timeout" => 120 } },
    "flows" => ["conformance"]
  }
end

def handler(req, ctx)
  n = (req["queryParams"]["n"] || 1).to_i
  last = nil
  n.times { last = ctx.state.update("conf-incr", req["pathParams"]["key"]) { |old| (old || 0) + 1 } }
  { "status" => 200, "body" => { "last" => last, "replica" => Process.pid } }
end
