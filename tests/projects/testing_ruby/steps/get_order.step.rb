def config
  { "name" => "get-order", "type" => "api", "path" => "/orders/:id", "method" => "GET", "emits" => [] }
end

def handler(req, ctx)
  order = ctx.state.get("orders", req["pathParams"]["id"])
  order ? { status: 200, body: order } : { status: 404, body: { error: "no such order" } }
end
