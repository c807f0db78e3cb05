# How big the JSON body it got is: the `bodies` section posts big ones here.
def config
  { "name" => "size-ruby", "type" => "api", "path" => "/size", "method" => "POST", "emits" => [] }
end

def handler(req, _ctx)
  { status: 200, body: { size: req[:body][:data].length } }
end
