# Backpressure: n chunks of 64 KiB as fast as the host takes them. The count recorded in
# state shows how far the Enumerator got while the client was not reading.
CHUNK = ("\0".b * (64 * 1024)).freeze

def config
  { type: "api", name: "conf-flood", method: "GET", path: "/flood", emits: [], flows: ["conformance"] }
end

def handler(req, ctx)
  query = req.query_params
  id = Array(query[:id]).first
  n = Integer(Array(query[:n]).first || 2000)
  chunks = Enumerator.new do |y|
    (1..n).each do |i|
      y << CHUNK
      # every 10 chunks: cheap, and still shows where the Enumerator stalled
      ctx.state.set("conf-flood", id, i) if (i % 10).zero? || i == n
    end
  end
  { status: 200, headers: { "content-type" => "application/octet-stream" }, body: chunks }
end
