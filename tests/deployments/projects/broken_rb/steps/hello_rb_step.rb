# frozen_string_literal: true

# Valid syntax (the build's `ruby -wc` passes), but loading it fails: a gem that is not there.
require "stephost_no_such_gem"

def config
  { type: "api", name: "deploy-hello-rb", method: "GET", path: "/hello-rb" }
end

def handler(_req, _ctx)
  { status: 200, body: { v: 0, version: ENV["STEPHOST_VERSION"] } }
end
