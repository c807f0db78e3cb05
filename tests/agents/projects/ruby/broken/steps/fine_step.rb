# frozen_string_literal: true

def config
  { type: "event", name: "agent-fine-ruby", subscribes: ["agent.fine"] }
end

def handler(_input, _ctx) = nil
