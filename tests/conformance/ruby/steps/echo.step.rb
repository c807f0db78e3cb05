# Motia-classic style: a top-level `def config` returning a Hash with String
# keys and a top-level `def handler(req, ctx)`, loaded unchanged.
require_relative "support/conformance"

def config
  {
    "type" => "api",
    "name" => "conf-echo",
    "description" => "Echoes the request back",
    "method" => "POST",
    "path" => "/echo/:id",
    "emits" => [],
    "flows" => ["conformance"]
  }
end

def handler(req, ctx)
  {
    "status" => 200,
    "body" => {
      "id" => req["pathParams"]["id"],
      "body" => req["body"],
      "query" => req["queryParams"],
      "header" => req["headers"]["x-test"],
      "traceId" => ctx.traceId,
      "language" => Conformance::LANGUAGE
    },
    "headers" => { "x-echo" => "yes" }
  }
end
