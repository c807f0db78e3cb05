# frozen_string_literal: true

require "securerandom"

def config
  { type: "event", name: "tri-end", subscribes: ["tri.end"] }
end

def handler(data, ctx)
  key = data["key"]
  # One record per key (a redelivery overwrites it) and one per run (so duplicates can be counted).
  ctx.state.set("tri", key, { key: key, version: ENV["STEPHOST_VERSION"] })
  ctx.state.set("tri-runs", "#{key}-#{SecureRandom.hex(6)}", key)
end
# v2: the same end of the chain, another version
