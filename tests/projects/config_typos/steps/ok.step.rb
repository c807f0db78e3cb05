def config
  { "name" => "typos-ok-rb", "type" => "api", "path" => "/ok-rb", "method" => "GET" }
end

def handler(req, ctx)
  { "status" => 200, "body" => { "ok" => "ruby" } }
end
