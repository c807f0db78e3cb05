# Server-Sent Events from an Enumerator. When the client goes away the sidecar
# raises Stephost::Cancelled in the handler's thread, wherever the Enumerator is.
def config
  { type: "api", name: "conf-sse", method: "GET", path: "/sse", emits: [], flows: ["conformance"] }
end

def handler(req, ctx)
  query = req.query_params
  n = Integer(Array(query[:n]).first || 5)
  delay = Float(Array(query[:delay]).first || 0.2)
  id = Array(query[:id]).first
  events = Enumerator.new do |y|
    (1..n).each do |i|
      sleep delay if i > 1
      y << "data: #{i}\n\n"
    end
  rescue Stephost::Cancelled
    ctx.state.set("conf-sse", "cancelled-#{id}", true) if id
    raise
  end
  { status: 200, headers: { "content-type" => "text/event-stream" }, body: events }
end
