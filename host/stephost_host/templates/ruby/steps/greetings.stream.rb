# The greetings sent, live for browsers (Motia's stream clients connect unchanged).
def config
  {
    "name" => "greetings",
    "schema" => {
      "type" => "object",
      "properties" => { "name" => { "type" => "string" }, "message" => { "type" => "string" } },
      "required" => %w[name message]
    },
    "baseConfig" => { "storageType" => "default" }
  }
end
