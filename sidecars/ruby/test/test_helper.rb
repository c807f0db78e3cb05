# frozen_string_literal: true

# Shared setup for the Ruby sidecar's unit tests (minitest, which ships
# with Ruby). Run them all with: ruby sidecars/ruby/test/run.rb
require "minitest/autorun"
require "tmpdir"
require "fileutils"
require_relative "../lib/stephost/sidecar"

module StephostTest
  # A Session stand-in that records what a handler sends and answers host
  # calls from a block, so context and runner tests need no stream.
  class FakeSession
    attr_reader :pushed, :calls

    def initialize(&answer)
      @pushed = Queue.new
      @calls = []
      @answer = answer || ->(_call) {}
      @mutex = Mutex.new
    end

    def push(message)
      @pushed << message
      true
    end
    alias queue push

    def flush = nil

    # op as the real Session gets it (a Hash or a message per field); tests
    # see it as the HostCall's message, as the host would.
    def call(invocation_id, **op)
      op = op.to_h { |field, value| [field, Stephost::V1::HostCall.new(field => value).public_send(field)] }
      @mutex.synchronize { @calls << [invocation_id, op] }
      @answer.call(op)
    end

    def drain
      out = []
      out << @pushed.pop until @pushed.empty?
      out
    end
  end

  # Polls for an outcome with a deadline (never a fixed sleep); include it in a test class.
  module Polling
    def wait_for(what, timeout: 5)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      sleep 0.005 until (value = yield) || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      value || flunk("timed out waiting for #{what}")
    end
  end

  # Writes files into a temporary project and removes it afterwards.
  module Project
    def with_project(files)
      Dir.mktmpdir("stephost-rb") do |dir|
        files.each do |rel, text|
          path = File.join(dir, rel)
          FileUtils.mkdir_p(File.dirname(path))
          File.write(path, text)
        end
        yield dir
      end
    end

    def load_project(files)
      with_project(files) { |dir| return Stephost::Loader.new(dir).load_all }
    end
  end

  def self.invocation(step:, payload: nil, id: "inv-1", trace: "trace-1", topic: "", hook: "")
    Stephost::V1::Invocation.new(invocation_id: id, step: step, trace_id: trace, attempt: 1,
                                 payload_json: JSON.generate(payload), topic: topic, hook: hook)
  end
end
