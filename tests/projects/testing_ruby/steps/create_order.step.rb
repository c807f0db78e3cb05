def config
  { "name" => "create-order", "type" => "api", "path" => "/orders", "method" => "POST", "emits" => ["order.created"] }
end

def handler(req, ctx)
  id = req["body"]["id"]
  ctx.logger.info("order received", { order: id })
  ctx.emit(topic: "order.created", data: { id: id })
  { status: 201, body: { id: id } }
end
