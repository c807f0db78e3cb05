# A text body with its own content type reaches the client as those bytes.
def config
  { type: "api", name: "conf-csv", method: "GET", path: "/csv", emits: [], flows: ["conformance"] }
end

def handler(_req, _ctx)
  { status: 200, body: "a,b\n1,2\n", headers: { "content-type" => "text/csv" } }
end
