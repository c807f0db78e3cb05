def config
  { "name" => "fuzz-rb-echo", "type" => "api", "path" => "/fuzz/rb/:id", "method" => "POST", "emits" => [] }
end

def handler(req, ctx)
  {
    "status" => 200,
    "body" => {
      "language" => "ruby",
      "id" => req["pathParams"]["id"],
      "body" => req["body"],
      "query" => req["queryParams"],
      "headers" => req["headers"].length
    }
  }
end
