def config
  { "name" => "ok-rb", "type" => "api", "path" => "/ok", "method" => "GET" }
end

def handler(_req, _ctx)
  { status: 200, body: { "language" => "ruby" } }
end
