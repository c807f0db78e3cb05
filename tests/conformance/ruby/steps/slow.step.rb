def config
  {
    type: "api",
    name: "conf-slow",
    method: "GET",
    path: "/slow",
    emits: [],
    infrastructure: { handler: { timeout: 1 } },
    flows: ["conformance"]
  }
end

def handler(_req, _ctx)
  sleep 5
  { status: 200, body: { slept: 5 } }
end
