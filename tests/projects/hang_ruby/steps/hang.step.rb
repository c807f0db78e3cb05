# Hangs at load: the sidecar never says hello.
def config
  { "name" => "hang-rb", "type" => "api", "path" => "/hang", "method" => "GET" }
end

sleep 3600
