def config
  { "type" => "api", "name" => "cors-rb-hello", "method" => "GET", "path" => "/rb/hello", "emits" => [] }
end

def handler(req, ctx)
  { "status" => 200, "body" => { "lang" => "ruby", "hello" => "world" } }
end
