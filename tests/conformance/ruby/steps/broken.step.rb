# Deliberately broken: the host must report this file, and every other step
# must still load.
def config
  { type: "api", name: "conf-broken", method: "GET", path: "/broken", flows: ["conformance"] }
end

def handler(req, ctx
  { status: 200 }
end
