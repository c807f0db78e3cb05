# frozen_string_literal: true

require "json"
require_relative "indifferent_hash"
require_relative "errors"

module Stephost
  # Translation between Ruby values and what crosses the wire: JSON text in
  # the *_json fields, and StepError for failures. Each payload is parsed
  # and generated exactly once, here.
  module Wire
    # Frames from the sidecar itself (lib/, bin/) are noise in a step
    # author's stack trace.
    SIDECAR_DIRS = %w[lib bin].map { |d| "#{File.expand_path("../../#{d}", __dir__)}/" }.freeze

    module_function

    # Objects come back as IndifferentHash, so `input[:id]` and `input["id"]`
    # both work at every depth. "" (an unset proto field) reads as nil.
    def parse(json)
      return nil if json.nil? || json.empty?

      JSON.parse(json, object_class: IndifferentHash)
    end

    def dump(value) = JSON.generate(value)

    # The error's class name without its namespace, like Python's
    # `type(e).__name__` and JS's `e.name`, so the same failure reads the
    # same in every language. Classes a step file defines live in that
    # file's anonymous module, so their full name would be "#<Module:...>::X".
    def type_name(exception)
      klass = exception.class
      klass = klass.superclass while klass.name.nil?
      klass.name.split("::").last
    end

    def step_error(exception)
      V1::StepError.new(
        type: type_name(exception),
        message: exception.message.to_s,
        stack: stack(exception),
        retryable: !exception.is_a?(NonRetryableError),
        retry_after_seconds: exception.is_a?(RetryableError) ? exception.retry_after.to_f : 0.0
      )
    end

    # Ruby's own uncaught-exception layout ("file:line:in `m': message
    # (Class)" then "\tfrom ..." lines), without the sidecar's frames, and
    # with the cause chain because wrapped errors hide the real reason.
    def stack(exception, depth = 0)
      frames = (exception.backtrace || []).reject { |f| f.start_with?(*SIDECAR_DIRS) }
      # A SyntaxError's message already names file and line; its backtrace
      # is only where the file was loaded from.
      frames = [] if exception.is_a?(SyntaxError)
      head = frames.first ? "#{frames.first}: " : ""
      text = +"#{head}#{exception.message} (#{exception.class})"
      frames.drop(1).each { |f| text << "\n\tfrom " << f }
      if exception.cause && depth < 3
        text << "\nCaused by: " << stack(exception.cause, depth + 1)
      end
      text
    end
  end
end
