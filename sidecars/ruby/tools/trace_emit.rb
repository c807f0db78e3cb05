# frozen_string_literal: true

# Where one emit's time goes inside the Ruby sidecar: a development aid, loaded only on request,
# so the sidecar's own path carries no timing code.
#
#   STEPHOST_TRACE_EMIT=/tmp/emit.txt RUBYOPT="-r$PWD/sidecars/ruby/tools/trace_emit.rb" \
#     stephost start PROJECT ...
#
# At exit the sidecar writes the median of each stretch of an invocation's life, in ms:
# read (the reader thread has the decoded invocation) -> start (a worker runs it) -> call (the
# handler's host call, e.g. an emit) -> call_sent (handed to gRPC) -> answer (the reader has its
# result) -> resumed (the handler's thread runs again) -> result (queued) -> result_sent (a flush
# handed it to gRPC). call_sent -> answer is the host's, NATS's and the wire's share; answer ->
# resumed and read -> start are thread hand-offs under the GVL.

require_relative "../lib/stephost/session"
require_relative "../lib/stephost/runner"

module Stephost
  module TraceEmit
    STAMPS = %i[read start call call_sent answer resumed result result_sent].freeze

    class Recorder
      attr_reader :rows

      def initialize(clock = -> { Process.clock_gettime(Process::CLOCK_MONOTONIC, :float_millisecond) })
        @clock = clock
        @mutex = Mutex.new
        @open = {} # invocation id => stamps
        @owners = {} # call id => invocation id
        @rows = []
      end

      def stamp(invocation_id, name)
        t = @clock.call
        @mutex.synchronize do
          row = name == :read ? (@open[invocation_id] = {}) : @open[invocation_id]
          row[name] ||= t if row
        end
      end

      def stamped?(invocation_id, name) = @mutex.synchronize { @open.dig(invocation_id, name) ? true : false }
      def owner(call_id, invocation_id) = @mutex.synchronize { @owners[call_id] = invocation_id }
      def owner_of(call_id) = @mutex.synchronize { @owners.delete(call_id) }

      # Every queued result counts as handed to gRPC when a flush ends: exact when that flush
      # sent it, a little early when another thread was sending and takes it along after.
      def flushed
        t = @clock.call
        @mutex.synchronize do
          @open.delete_if do |_, row|
            next false unless row[:result]

            row[:result_sent] = t
            @rows << row if STAMPS.all? { |s| row.key?(s) }
            true
          end
        end
      end

      def summary
        stretches = STAMPS.each_cons(2).map do |from, to|
          gaps = @rows.map { |r| r[to] - r[from] }.sort
          median = gaps.empty? ? 0.0 : gaps[gaps.size / 2]
          format("%-24s %.3f ms", "#{from} -> #{to}", median)
        end
        ["#{@rows.size} invocations with a host call (medians)", *stretches].join("\n")
      end
    end

    module RunnerHooks
      def submit(session, invocation)
        TraceEmit.recorder.stamp(invocation.invocation_id, :read)
        super
      end

      private

      def execute(job)
        TraceEmit.recorder.stamp(job.key[1], :start)
        super
      end
    end

    module SessionHooks
      def call(invocation_id, **op)
        TraceEmit.recorder.stamp(invocation_id, :call)
        super.tap { TraceEmit.recorder.stamp(invocation_id, :resumed) }
      end

      def push(message)
        super.tap do
          TraceEmit.recorder.stamp(message.call.invocation_id, :call_sent) if message.kind == :call
        end
      end

      def resolve(call_result)
        id = TraceEmit.recorder.owner_of(call_result.call_id)
        TraceEmit.recorder.stamp(id, :answer) if id
        super
      end

      def queue(message)
        case message.kind
        when :call then TraceEmit.recorder.owner(message.call.call_id, message.call.invocation_id)
        when :result then TraceEmit.recorder.stamp(message.result.invocation_id, :result)
        end
        super
      end

      def flush
        super.tap { TraceEmit.recorder.flushed }
      end
    end

    class << self
      attr_accessor :recorder

      def install(recorder = Recorder.new)
        self.recorder = recorder
        Runner.prepend(RunnerHooks) unless Runner <= RunnerHooks
        Session.prepend(SessionHooks) unless Session <= SessionHooks
        recorder
      end
    end
  end
end

if (out = ENV.fetch("STEPHOST_TRACE_EMIT", "")) != ""
  recorder = Stephost::TraceEmit.install
  at_exit { File.write(out, "#{recorder.summary}\n") unless recorder.rows.empty? }
end
