# frozen_string_literal: true

def config
  { type: "api", name: "deploy-hello-rb", method: "GET", path: "/hello-rb" }
end

def handler(_req, _ctx)
  { status: 200, body: { v: 1, version: ENV["STEPHOST_VERSION"] } }
end
