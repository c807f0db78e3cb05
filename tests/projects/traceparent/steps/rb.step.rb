# Answers with what the handler sees of its own span (tests/test_traceparent.py).
def config
  { "name" => "tp-ruby", "type" => "api", "path" => "/tp/ruby", "method" => "GET" }
end

def handler(_req, ctx)
  { "status" => 200, "body" => { "traceparent" => ctx.traceparent, "traceId" => ctx.trace_id } }
end
