def config
  { "name" => "hello-ruby", "type" => "api", "path" => "/hello", "method" => "GET", "emits" => [] }
end

def handler(_req, _ctx)
  { status: 200, body: { message: "hello", ok: true } }
end
