def config
  { "name" => "ship-order", "type" => "event", "subscribes" => ["order.created"], "emits" => ["order.shipped"] }
end

def handler(data, ctx)
  ctx.state.set("orders", data["id"], { status: "shipped" })
  ctx.emit(topic: "order.shipped", data: { id: data["id"] })
end
