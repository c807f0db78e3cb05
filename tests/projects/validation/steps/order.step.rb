# Body and input schemas as plain JSON Schema.
ORDER = {
  "type" => "object",
  "properties" => { "id" => { "type" => "string" }, "qty" => { "type" => "integer", "minimum" => 1 } },
  "required" => %w[id qty]
}.freeze

def config
  { "name" => "val-rb-order", "type" => "api", "path" => "/rb/orders", "method" => "POST",
    "bodySchema" => ORDER, "emits" => [], "flows" => ["validation"] }
end

def handler(req, _ctx)
  { status: 200, body: { accepted: req["body"] } }
end
