def config
  {
    "type" => "api",
    "name" => "conf-read",
    "method" => "GET",
    "path" => "/state/:group/:key",
    "emits" => [],
    "flows" => ["conformance"]
  }
end

def handler(req, ctx)
  params = req["pathParams"]
  { "status" => 200, "body" => ctx.state.get(params["group"], params["key"]) }
end
