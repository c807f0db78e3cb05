def config
  { "name" => "finish-order", "type" => "event", "subscribes" => ["order.done"], "emits" => [] }
end

def handler(order, ctx)
  ctx.state.set("orders-done", order["id"], order.merge("status" => "done"))
end
