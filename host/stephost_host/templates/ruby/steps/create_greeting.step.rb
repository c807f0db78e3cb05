# POST /greetings {"name": "Ada"}: queues a greeting and answers at once.
def config
  {
    "name" => "create-greeting",
    "type" => "api",
    "path" => "/greetings",
    "method" => "POST",
    "description" => "Queue a greeting for a name",
    "bodySchema" => {
      "type" => "object",
      "properties" => { "name" => { "type" => "string", "minLength" => 1 } },
      "required" => ["name"]
    },
    "emits" => ["greeting.requested"],
    "flows" => ["greetings"]
  }
end

def handler(req, ctx)
  name = req["body"]["name"]
  ctx.logger.info("greeting requested", { "name" => name })
  ctx.emit(topic: "greeting.requested", data: { "name" => name })
  { status: 202, body: { queued: true, name: name } }
end
