def config
  { "name" => "val-rb-emit", "type" => "api", "path" => "/rb/emit", "method" => "POST",
    "emits" => %w[val.ts val.py val.rb], "flows" => ["validation"] }
end

def handler(req, ctx)
  ctx.emit(topic: req["body"]["topic"], data: req["body"]["data"])
  { status: 200, body: { ok: true } }
rescue Stephost::HostError => e
  { status: 200, body: { error: e.message } }
end
