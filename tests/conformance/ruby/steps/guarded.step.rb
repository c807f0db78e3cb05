# Middleware named by Symbol: methods of this same file, run in order.
def config
  {
    type: "api",
    name: "conf-guarded",
    method: "GET",
    path: "/guarded",
    emits: [],
    middleware: [:auth, :stamp],
    flows: ["conformance"]
  }
end

def auth(req, _ctx, next_fn)
  return { status: 401, body: { error: "no token" } } unless req[:headers]["x-token"] == "ok"

  req[:user] = "ok-user"
  next_fn.call
end

def stamp(_req, _ctx, next_fn)
  res = next_fn.call
  res[:headers]["x-mw"] = "stamped"
  res
end

def handler(req, _ctx)
  { status: 200, body: { user: req[:user] } }
end
