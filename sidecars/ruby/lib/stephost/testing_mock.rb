# frozen_string_literal: true

# Stephost::Testing.mock_context: a context for one handler with nothing behind it.
# ctx.emitted holds every emitted event, ctx.logger.calls every [level, message, fields];
# ctx.state and ctx.streams keep JSON-shaped copies in memory (Hashes come back with
# indifferent access, as in the sidecar).
require "json"
require "securerandom"
require_relative "indifferent_hash"

module Stephost
  module Testing
    # Values go in and out as JSON would carry them.
    def self.json_copy(value)
      return nil if value.nil?

      indifferent(JSON.parse(JSON.generate([value]))[0])
    end

    def self.indifferent(value)
      case value
      when Hash then IndifferentHash[value.transform_values { |v| indifferent(v) }]
      when Array then value.map { |v| indifferent(v) }
      else value
      end
    end

    class RecordingLogger
      attr_reader :calls

      def initialize(base = {}, calls = [])
        @base = base
        @calls = calls
      end

      %w[debug info warn error].each do |level|
        define_method(level) do |message, fields = nil|
          merged = @base.merge((fields || {}).to_h.transform_keys(&:to_s))
          @calls << [level, message.to_s, merged.empty? ? nil : merged]
          nil
        end
      end

      def child(fields) = RecordingLogger.new(@base.merge(fields.to_h.transform_keys(&:to_s)), @calls)
      def messages(level = nil) = @calls.select { |l, _, _| level.nil? || l == level.to_s }.map { |_, m, _| m }
    end

    class MemoryState
      attr_reader :data

      def initialize = @data = Hash.new { |h, k| h[k] = {} }
      def get(group, key) = Testing.json_copy(@data[group.to_s][key.to_s])
      def set(group, key, value) = Testing.json_copy(@data[group.to_s][key.to_s] = Testing.json_copy(value))
      def delete(group, key) = @data[group.to_s].delete(key.to_s)
      def get_group(group) = @data[group.to_s].values.map { |v| Testing.json_copy(v) }
      alias getGroup get_group

      def clear(group)
        @data.delete(group.to_s)
        nil
      end
    end

    class MemoryStream < MemoryState
      attr_reader :sent

      def initialize
        super
        @sent = []
      end

      def set(group_id, id, data) = super(group_id, id, data.to_h.merge("id" => id.to_s))

      def send_event(channel, event)
        @sent << [channel, Testing.json_copy(event)]
        nil
      end
    end

    class MemoryStreams
      def initialize = @streams = {}
      def [](name) = @streams[name.to_s] ||= MemoryStream.new
      def method_missing(name, *args) = args.empty? ? self[name] : super
      def respond_to_missing?(_name, _include_private = false) = true
    end

    class MockContext
      attr_reader :trace_id, :step, :topic, :attempt, :flows, :emitted, :logger, :state, :streams

      alias traceId trace_id

      def initialize(trace_id: nil, step: "test-step", topic: nil, attempt: 1, flows: [])
        @trace_id = trace_id || SecureRandom.hex(16)
        @step = step
        @topic = topic
        @attempt = attempt
        @flows = flows
        @emitted = []
        @logger = RecordingLogger.new
        @state = MemoryState.new
        @streams = MemoryStreams.new
      end

      # Records {"topic", "data", ...} (keyword arguments too), like the real ctx.emit takes it.
      def emit(event = nil, **kwargs)
        event = event ? event.merge(kwargs) : kwargs
        raise ArgumentError, "emit takes a Hash {topic:, data:}, got #{event.class}" unless event.is_a?(Hash)

        event = event.transform_keys(&:to_s)
        raise ArgumentError, "emit needs a non-empty topic, got #{event['topic'].inspect}" if event["topic"].to_s.empty?

        @emitted << Testing.json_copy(event)
        nil
      end
    end

    module_function

    def mock_context(**options) = MockContext.new(**options)
  end
end
