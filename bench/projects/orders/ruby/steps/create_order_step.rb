require "securerandom"

def config
  { "name" => "create-order", "type" => "api", "path" => "/orders", "method" => "POST", "emits" => ["order.created"] }
end

def handler(req, ctx)
  item = (req["body"] || {})["item"]
  order = { "id" => SecureRandom.hex(16), "t0" => Process.clock_gettime(Process::CLOCK_REALTIME, :float_millisecond), "item" => item }
  ctx.emit(topic: "order.created", data: order)
  { status: 201, body: { id: order["id"] } }
end
