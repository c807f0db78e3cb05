# frozen_string_literal: true

# A 1-second cron, in Ruby: v1's Python worker is kept at capacity by tri-audit, and a tick that
# finds no free slot before its timeout fails (that is load, not the switch this test is about).
def config
  { type: "cron", name: "tri-tick", cron: "* * * * * *", emits: [] }
end

def handler(ctx)
  # One entry per fire: the trace id names the tick (its first 8 hex digits are the fire second),
  # so a tick fired twice or never shows up when the test counts them.
  ctx.state.set("tri-ticks", ctx.trace_id, { trace: ctx.trace_id, ran: Time.now.to_f })
end
