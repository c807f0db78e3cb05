# An HTML page: a (UTF-8) String body with its charset in the content type.
def config
  { type: "api", name: "conf-html", method: "GET", path: "/html", emits: [], flows: ["conformance"] }
end

def handler(_req, _ctx)
  { status: 200, body: "<!doctype html><p>héllo</p>", headers: { "content-type" => "text/html; charset=utf-8" } }
end
