# The ctx surface in an event step (README, conf-ctx-event): the same fields,
# with topic set to the topic the event arrived on.
require_relative "support/conformance"

def config
  {
    "type" => "event",
    "name" => "conf-ctx-event",
    "subscribes" => ["conf.ctx"],
    "emits" => [],
    "flows" => ["conformance", "ctx"]
  }
end

def handler(_input, ctx)
  child = ctx.logger.child({ probe: "event" })
  child.info("ctx probe", { lang: Conformance::LANGUAGE })
  ctx.state.set("conf-ctx", "event",
                { step: ctx.step, topic: ctx.topic, traceId: ctx.trace_id, attempt: ctx.attempt, flows: ctx.flows })
end
