# The project allows the page's origin; this Ruby step opts out.
def config
  { "type" => "api", "name" => "cors-rb-closed", "method" => "GET", "path" => "/rb/closed", "emits" => [], "cors" => false }
end

def handler(_req, _ctx)
  { "status" => 200, "body" => { "lang" => "ruby", "closed" => true } }
end
