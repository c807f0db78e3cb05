# frozen_string_literal: true

# The public surface a Ruby step author may touch: the error types a handler
# raises to steer retries, and the data types handlers receive. Nothing
# generated from the proto appears here; step files never need to require
# this (the sidecar loads it before any step), but `require "stephost"` is
# harmless and documents intent.
require_relative "stephost/version"
require_relative "stephost/errors"
require_relative "stephost/indifferent_hash"
