# frozen_string_literal: true

# The proto layer: the stubs generated from proto/stephost/v1 by
# proto/generate.sh (lib/stephost/gen, never edited by hand). They require
# each other as "stephost/v1/...", so their root goes on the load path, and so
# does lib/ so that a step file may `require "stephost"` (for the error
# classes) like any installed library.
[File.expand_path("gen", __dir__), File.expand_path("..", __dir__)].each do |dir|
  $LOAD_PATH.unshift(dir) unless $LOAD_PATH.include?(dir)
end
require "stephost/v1/sidecar_services_pb"

module Stephost
  # The stephost.v1 protocol revision this sidecar speaks (Hello.protocol_version).
  PROTOCOL_VERSION = 2
end
