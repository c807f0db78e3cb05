# frozen_string_literal: true

def config
  { type: "event", name: "agent-exits-ruby", subscribes: ["agent.exits"] }
end

def handler(_input, _ctx) = nil

unless ARGV.include?("--check")
  # A worker that dies a moment after its hello (a crash the deploy must see).
  Thread.new do
    sleep 1
    warn "exiting on purpose"
    exit!(3)
  end
end
