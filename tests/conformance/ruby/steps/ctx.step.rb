# The ctx surface every language offers (README, conf-ctx): step, topic (nil
# outside event steps), trace_id, attempt, flows, emit and logger.child.
require_relative "support/conformance"

def config
  {
    type: "api",
    name: "conf-ctx",
    method: "GET",
    path: "/ctx",
    emits: ["conf.ctx"],
    flows: ["conformance"]
  }
end

def handler(_req, ctx)
  child = ctx.logger.child({ probe: "api" })
  child.info("ctx probe", { lang: Conformance::LANGUAGE })
  ctx.emit(topic: "conf.ctx", data: {})
  { status: 200, body: { step: ctx.step, topic: ctx.topic, traceId: ctx.trace_id, attempt: ctx.attempt, flows: ctx.flows } }
end
