def config
  { "type" => "api", "name" => "cors-rb-echo", "method" => "POST", "path" => "/rb/echo", "emits" => [] }
end

def handler(req, ctx)
  { "status" => 200, "body" => { "lang" => "ruby", "body" => req["body"], "custom" => req["headers"]["x-custom"] } }
end
