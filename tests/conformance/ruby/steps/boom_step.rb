def config
  {
    "type" => "api",
    "name" => "conf-boom",
    "method" => "GET",
    "path" => "/boom",
    "emits" => [],
    "flows" => ["conformance"]
  }
end

def handler(req, ctx)
  raise "boom"
end
