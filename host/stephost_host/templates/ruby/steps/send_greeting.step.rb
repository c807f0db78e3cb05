# Makes the greeting, keeps it in state and on the greetings stream, and says it was sent.
def config
  {
    "name" => "send-greeting",
    "type" => "event",
    "subscribes" => ["greeting.requested"],
    "input" => { "type" => "object", "properties" => { "name" => { "type" => "string" } }, "required" => ["name"] },
    "emits" => ["greeting.sent"],
    "flows" => ["greetings"]
  }
end

def handler(data, ctx)
  name = data["name"]
  message = "#{ENV.fetch('GREETING', 'Hello')}, #{name}!"
  ctx.state.set("greetings", name, { "message" => message })
  ctx.streams.greetings.set("all", name, { "name" => name, "message" => message })
  ctx.emit(topic: "greeting.sent", data: { "name" => name, "message" => message })
end
