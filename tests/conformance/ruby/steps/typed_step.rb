require "stephost"

def config
  { name: "conf-typed", type: "event", subscribes: ["conf.typed"], emits: [], flows: ["conformance"],
    infrastructure: { queue: { maxRetries: 3 } } }
end

def handler(input, ctx)
  raise Stephost::NonRetryableError, "fatal: #{input['id']}" if input["mode"] == "fatal"

  n = (ctx.state.get("conf-typed", input["id"]) || 0) + 1
  ctx.state.set("conf-typed", input["id"], n)
  if n == 1
    ctx.state.set("conf-typed-at", input["id"], Time.now.to_f)
    raise Stephost::RetryableError.new("later", retry_after: 1)
  end
  first = ctx.state.get("conf-typed-at", input["id"])
  ctx.state.set("conf", "typed-#{input['id']}", { attempts: n, waited: Time.now.to_f - first })
end
