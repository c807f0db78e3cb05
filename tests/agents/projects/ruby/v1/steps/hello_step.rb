# frozen_string_literal: true

require_relative "../lib/greeting"

def config
  { type: "api", name: "agent-hello-ruby", method: "GET", path: "/agent/ruby" }
end

# The worker's env: STEPHOST_VERSION from the agent, GREETING from the deployment.
def handler(_req, _ctx)
  { status: 200, body: { version: ENV["STEPHOST_VERSION"], greeting: Greeting.greet(ENV.fetch("GREETING", "")) } }
end
