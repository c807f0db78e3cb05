# frozen_string_literal: true

require "json"
require_relative "indifferent_hash"

module Stephost
  # Translation between Ruby values and the JSON text in the wire's *_json
  # fields. Each payload is parsed and generated exactly once, here. (Errors
  # cross the wire as StepError; that conversion is the runner's.)
  module Wire
    PARSING = { object_class: IndifferentHash, max_nesting: false }.freeze

    module_function

    # Objects come back as IndifferentHash, so `input[:id]` and `input["id"]`
    # both work at every depth. "" (an unset proto field) reads as nil.
    # No nesting limit of Ruby's own (100 levels by default): the host bounds
    # every payload's depth (MAX_JSON_DEPTH, 256) before it reaches a sidecar,
    # so what the host accepted, a Ruby handler can read and write back.
    def parse(json)
      return nil if json.nil? || json.empty?

      JSON.parse(json, PARSING)
    end

    # JSON.generate makes a generator State per call from its options; a
    # thread (fiber) reuses its own, which only counts the depth it is at.
    def dump(value) = (Thread.current[:stephost_json] ||= JSON::State.new(max_nesting: false)).generate(value)
  end
end
