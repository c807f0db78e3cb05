def config
  { "name" => "typos-timout", "type" => "event", "subscribes" => ["typos.t"],
    "infrastructure" => { "handler" => { "timout" => 5 } } }
end

def handler(input, ctx)
end
