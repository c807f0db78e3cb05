def config
  { "name" => "ship-order", "type" => "event", "subscribes" => ["shop.order.checked"], "emits" => [],
    "description" => "Ships a checked order", "flows" => ["shop"] }
end

def handler(data, ctx)
  ctx.logger.info("order shipped", { "orderId" => data["id"] })
  ctx.state.set("shipped", data["id"], true)
  # The board's item changes a second time: the Workbench's Streams panel shows the update live.
  ctx.streams.board.set("orders", data["id"], { "id" => data["id"], "status" => "shipped" })
  # ...and a custom event (Motia's `send`), which the panel lists under the items.
  ctx.streams.board.send_event({ groupId: "orders", id: data["id"] }, { type: "shipped", data: { "carrier" => "post" } })
end
