# Only one partner origin may call this Ruby step, whatever the project allows.
def config
  {
    "type" => "api", "name" => "cors-rb-partner", "method" => "POST", "path" => "/rb/partner", "emits" => [],
    "cors" => { "origins" => ["https://partner.example"] }
  }
end

def handler(req, _ctx)
  { "status" => 200, "body" => { "lang" => "ruby", "partner" => req["body"] } }
end
