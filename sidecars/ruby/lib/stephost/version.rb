# frozen_string_literal: true

module Stephost
  VERSION = "0.1.0"
  # The stephost.v1 protocol revision this sidecar speaks (Hello.protocol_version).
  PROTOCOL_VERSION = 1
end
