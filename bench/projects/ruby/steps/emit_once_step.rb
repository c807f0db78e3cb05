def config
  { "name" => "emit-once-ruby", "type" => "api", "path" => "/emit", "method" => "GET", "emits" => ["bench.emitted"] }
end

# One durable emit (nothing subscribes): the bench compares this route with /hello.
def handler(_req, ctx)
  ctx.emit(topic: "bench.emitted", data: { n: 1 })
  { status: 200, body: { message: "emitted", ok: true } }
end
