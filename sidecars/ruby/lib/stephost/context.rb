# frozen_string_literal: true

require_relative "proto"
require_relative "wire"

module Stephost
  # What a handler receives as `ctx`. One per invocation; cheap to build
  # (the logger, state and streams helpers are created on first use).
  #
  #   ctx.trace_id / ctx.traceId
  #   ctx.emit(topic: "order.created", data: {...}, messageGroupId: "o-1")
  #   ctx.state.get(group, key) / set / delete / get_group (getGroup) / clear
  #   ctx.logger.info("message", {fields}) (also warn, error, debug)
  #   ctx.streams.<name>.get(group_id, id) / set / delete / get_group / send_event
  #
  # emit, state and streams block the handler's thread until the host
  # answers (emit: until JetStream has stored the event), so a handler
  # reads like ordinary synchronous Ruby. A host-side failure raises
  # Stephost::HostError.
  class Context
    # traceparent: W3C trace context of this invocation's span ("" when the host records
    # none); send it on outgoing calls so they join the trace.
    attr_reader :flows

    # flows: the step config's `flows` (Motia's context has them; Step#flows);
    # the invocation does not carry them. The invocation's own fields are read
    # when a handler asks for them: most handlers never do, and every
    # protobuf field read costs a lookup and a new String.
    # invocation_id: when the caller has read it already.
    def initialize(session, invocation, flows = [], invocation_id = invocation.invocation_id)
      @session = session
      @flows = flows
      @invocation = invocation
      @invocation_id = invocation_id
    end

    def trace_id = @invocation.trace_id
    def traceparent = @invocation.traceparent
    def step = @invocation.step
    def attempt = @invocation.attempt
    def topic = @invocation.topic.then { |t| t.empty? ? nil : t }

    # Motia's Ruby runner spelled it traceId; classic step files use that.
    alias traceId trace_id

    # Accepts {topic:, data:, messageGroupId:} with String or Symbol keys
    # (message_group_id: too), or the same as keyword arguments. Returns
    # nil once the host has stored the event durably.
    def emit(event = nil, **kwargs)
      event = event ? (kwargs.empty? ? event : event.merge(kwargs)) : kwargs
      raise ArgumentError, "emit takes a Hash {topic:, data:}, got #{event.class}" unless event.is_a?(Hash)

      topic = pick(event, "topic") || pick(event, "type") # "type": Motia's earliest Ruby runner
      raise ArgumentError, "emit needs a non-empty topic, got #{topic.inspect}" if topic.to_s.empty?

      group = pick(event, "messageGroupId") || pick(event, "message_group_id")
      call(emit: { topic: topic.to_s, data_json: Wire.dump(pick(event, "data")), message_group_id: group.to_s })
      nil
    end

    def state = @state ||= State.new(self)
    def logger = @logger ||= Logger.new(@session, @invocation_id)
    def streams = @streams ||= Streams.new(self)

    # Sends one HostCall for this invocation and returns the parsed result.
    # op: the call's one field, its message given as a Hash (Session#call).
    def call(**op) = @session.call(@invocation_id, **op)

    def inspect = "#<Stephost::Context step=#{step} trace_id=#{trace_id}>"

    private

    def pick(hash, key)
      return hash[key] if hash.key?(key)

      hash[key.to_sym]
    end
  end

  # ctx.state: the host's KV state, grouped (often by trace id).
  class State
    Op = V1::StateCall::Op
    # update tries this many times before it gives up with a StateConflict HostError.
    UPDATE_ATTEMPTS = 100

    def initialize(ctx)
      @ctx = ctx
    end

    def get(group, key) = op(Op::GET, group, key)
    # Returns the stored value.
    def set(group, key, value) = op(Op::SET, group, key, Wire.dump(value))
    # Returns the old value, or nil.
    def delete(group, key) = op(Op::DELETE, group, key)
    # Returns every value in the group, as an Array.
    def get_group(group) = op(Op::GET_GROUP, group) || []
    alias getGroup get_group

    def clear(group)
      op(Op::CLEAR, group)
      nil
    end

    # Atomic read-modify-write: stores the block's result for the old value (nil when
    # there is none) and returns it. The write happens only if nobody wrote since the
    # read; otherwise the block runs again on the fresh value (it may run more than once).
    def update(group, key)
      raise ArgumentError, "state.update needs a block { |old| new }" unless block_given?

      UPDATE_ATTEMPTS.times do |attempt|
        read = op(Op::GET_REVISION, group, key)
        value = yield read["value"]
        begin
          op(Op::SET_IF_REVISION, group, key, Wire.dump(value), read["revision"])
          return value
        rescue HostError => e
          raise unless e.type == "StateConflict"
        end
        sleep(rand * 0.001 * [attempt + 1, 10].min) # colliding writers fall out of step
      end
      raise HostError.new(
        "state.update(#{group.inspect}, #{key.inspect}) lost to other writers #{UPDATE_ATTEMPTS} times " \
        "in a row; the key is too contended: retry later or spread the writes over more keys",
        type: "StateConflict"
      )
    end

    private

    def op(kind, group, key = "", value_json = "", expected_revision = 0)
      @ctx.call(state: { op: kind, group: group.to_s, key: key.to_s, value_json: value_json,
                         expected_revision: expected_revision })
    end
  end

  # ctx.logger: records go to the host, which stamps them with the step and
  # trace id and prints/stores them. Fire and forget: never blocks.
  class Logger
    def initialize(session, invocation_id, base = nil)
      @session = session
      @invocation_id = invocation_id
      @base = base # fields every record of a child logger carries
    end

    %w[debug info warn error].each do |level|
      define_method(level) { |message, fields = nil| log(level, message, fields) }
    end

    # A logger whose records all carry `fields` (merged under each call's own).
    def child(fields) = Logger.new(@session, @invocation_id, (@base || {}).merge(fields.to_h.transform_keys(&:to_s)))

    def log(level, message, fields = nil)
      @session.push(V1::SidecarMessage.new(log: V1::LogRecord.new(
        invocation_id: @invocation_id, level: level.to_s, message: message.to_s,
        fields_json: fields_json(fields), time_unix_ms: (Time.now.to_f * 1000).to_i
      )))
      nil
    end

    private

    # A Hash becomes the fields; anything else is kept under "data" (the
    # Motia runner's behaviour), and a value JSON cannot carry is inspected
    # rather than losing the log line.
    def fields_json(fields)
      fields = fields.to_h if fields.respond_to?(:to_h) && !fields.is_a?(Hash) && !fields.is_a?(Array) && !fields.nil?
      fields = { "data" => fields } unless fields.nil? || fields.is_a?(Hash)
      fields = @base.merge((fields || {}).transform_keys(&:to_s)) if @base
      fields.nil? ? "" : Wire.dump(fields)
    rescue StandardError
      Wire.dump({ "data" => fields.inspect })
    end
  end

  # ctx.streams.<name> (or ctx.streams[:name]): the host's real-time streams.
  class Streams
    def initialize(ctx)
      @ctx = ctx
      @clients = {}
    end

    def [](name) = @clients[name.to_s] ||= Stream.new(@ctx, name.to_s)

    def method_missing(name, *args)
      return super unless args.empty? && stream_name?(name)

      self[name]
    end

    def respond_to_missing?(name, include_private = false)
      stream_name?(name) || super
    end

    private

    # Conversion hooks (to_ary, to_str, ...) must stay undefined or `puts
    # ctx.streams` and friends would get a Stream back.
    def stream_name?(name) = !name.start_with?("to_") && !name.end_with?("=", "?", "!")
  end

  # One stream's client. `send_event` is Motia's `send` (Ruby's Object#send
  # must keep its meaning).
  class Stream
    Op = V1::StreamCall::Op

    def initialize(ctx, name)
      @ctx = ctx
      @name = name
    end

    def get(group_id, id) = op(Op::GET, group_id, id)
    # Returns the stored item (with "id").
    def set(group_id, id, data) = op(Op::SET, group_id, id, Wire.dump(data))
    def delete(group_id, id) = op(Op::DELETE, group_id, id)
    def get_group(group_id) = op(Op::GET_GROUP, group_id) || []
    alias getGroup get_group

    # channel: {groupId:, id: (optional)}; event: {type:, data:}.
    def send_event(channel, event)
      group = channel[:groupId] || channel["groupId"] || channel[:group_id] || channel["group_id"]
      id = channel[:id] || channel["id"]
      op(Op::SEND, group, id, Wire.dump(event))
      nil
    end

    private

    def op(kind, group_id, id = "", data_json = "")
      @ctx.call(stream: { op: kind, stream: @name, group_id: group_id.to_s, id: id.to_s, data_json: data_json })
    end
  end
end
