def config
  { "name" => "process-order", "type" => "event", "subscribes" => ["order.created"], "emits" => ["order.done"] }
end

def handler(order, ctx)
  ctx.state.set("orders", order["id"], order.merge("status" => "processed"))
  ctx.emit(topic: "order.done", data: order)
end
