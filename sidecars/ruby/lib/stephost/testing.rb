# frozen_string_literal: true

# Testing helpers: `require "stephost/testing"`.
#
# Stephost::Testing.create_tester(project_dir) starts a real host on the project
# (`stephost dev` on free ports, its own embedded NATS, a temp state dir) and talks to it
# over HTTP only, through the endpoints the Python and Node testers use too
# (/__stephost/testing/*, with the host's secret). Stephost::Testing.mock_context gives one
# handler a context that records its emits and logs (testing_mock.rb);
# Stephost::Testing::Minitest gives a test class `stephost_tester` (testing_minitest.rb).
# Standard library only: the tests need no gRPC.
require "fileutils"
require "json"
require "net/http"
require "shellwords"
require "tmpdir"
require "uri"

module Stephost
  module Testing
    TESTING = "/__stephost/testing"
    START_TIMEOUT = 90.0 # seconds for the host and every sidecar to come up
    STOP_TIMEOUT = 15.0

    class Error < StandardError; end

    Response = Struct.new(:status, :headers, :body, keyword_init: true)

    # The events of one topic stored since `watch` began (read after each wait_events).
    class Watcher
      attr_reader :topic

      def initialize(tester, topic, cursor)
        @tester = tester
        @topic = topic
        @cursor = cursor
        @events = []
      end

      # [{"topic", "data", "traceId"}], oldest first.
      def captured_events = @events.map { |e| e.slice("topic", "data", "traceId") }
      alias getCapturedEvents captured_events

      def refresh
        loop do
          page = @tester.admin(:get, "/events?#{URI.encode_www_form(topic: @topic, after: @cursor)}")
          @events.concat(page["events"])
          @cursor = page["last"]
          return if page["events"].empty?
        end
      end
    end

    # One host on a project; `create_tester` starts it, `close` stops it.
    class Tester
      attr_reader :project, :url

      def initialize(project, env: {})
        @project = File.expand_path(project || ENV["STEPHOST_PROJECT"] || Dir.pwd)
        raise Error, "project folder #{@project} does not exist: pass the folder with steps/" unless Dir.exist?(@project)

        @env = env
        @state_dir = Dir.mktmpdir("stephost-test-")
        @log_path = File.join(@state_dir, "host.log")
        @watchers = []
      end

      # The command that runs the host: $STEPHOST_COMMAND (split like a shell) or `stephost`.
      def self.command = Shellwords.split(ENV.fetch("STEPHOST_COMMAND", "stephost"))

      def start(timeout: START_TIMEOUT)
        argv = [*Tester.command, "dev", @project, "--port", "0", "--sidecar-port", "0", "--state-dir", @state_dir]
        env = { "STEPHOST_TESTING_ENDPOINTS" => "true" }.merge(@env)
        # Its own process group, so close stops its sidecars too.
        @pid = Process.spawn(env, *argv, out: @log_path, err: %i[child out], pgroup: true)
        runtime = File.join(@state_dir, "runtime.json")
        deadline = monotonic + timeout
        # runtime.json is written last, once every sidecar has loaded its steps and said hello.
        until File.exist?(runtime)
          _, status = Process.waitpid2(@pid, Process::WNOHANG)
          if status
            @pid = nil
            raise Error, "the host exited with #{status.exitstatus.inspect}:\n#{log[-4000..] || log}"
          end
          if monotonic > deadline
            tail = log[-4000..] || log
            close
            raise Error, "the host was not ready within #{timeout}s:\n#{tail}"
          end
          sleep 0.05
        end
        info = JSON.parse(File.read(runtime))
        @url = info.fetch("http")
        @secret = info.fetch("secret")
        self
      rescue Errno::ENOENT => e
        raise Error, "cannot run #{Tester.command.first} (set STEPHOST_COMMAND to the stephost command): #{e.message}"
      end

      def close
        if @pid
          signal("TERM")
          deadline = monotonic + STOP_TIMEOUT
          until Process.waitpid(@pid, Process::WNOHANG)
            signal("KILL") if monotonic > deadline
            sleep 0.05
          end
          @pid = nil
        end
        FileUtils.rm_rf(@state_dir)
        nil
      end

      # The host's output so far (its sidecars' too).
      def log = File.exist?(@log_path) ? File.read(@log_path) : ""

      def request(method, path, body: nil, headers: {})
        raise Error, "the tester is not started (use Stephost::Testing.create_tester)" unless @url

        uri = URI(@url + path)
        req = Net::HTTPGenericRequest.new(method.to_s.upcase, !body.nil?, true, uri.request_uri, headers)
        unless body.nil?
          req.body = body.is_a?(String) ? body : JSON.generate(body)
          req["content-type"] ||= "application/json"
        end
        res = Net::HTTP.start(uri.host, uri.port, read_timeout: 60) { |http| http.request(req) }
        Response.new(status: res.code.to_i, headers: res.each_header.to_h, body: decode(res))
      end

      def post(path, body: nil, headers: {}) = request(:post, path, body: body, headers: headers)
      def get(path, headers: {}) = request(:get, path, headers: headers)

      # Stores an event as a step's ctx.emit would; returns {"traceId", "seq"}.
      def emit(topic, data = nil, trace_id: nil)
        admin(:post, "/emit", { topic: topic.to_s, data: data, traceId: trace_id.to_s })
      end

      # Captures the topic's events from now on (read with watcher.captured_events).
      def watch(topic)
        last = admin(:get, "/events?#{URI.encode_www_form(topic: topic)}")["last"]
        Watcher.new(self, topic.to_s, last).tap { |w| @watchers << w }
      end

      # Returns once every stored event was handled or dead-lettered, then updates watchers.
      def wait_events(timeout: 30.0)
        deadline = monotonic + timeout
        idle_reads = 0
        # Idle twice in a row: a handler's own emit is stored before its event is acked.
        while idle_reads < 2
          status = admin(:get, "/idle")
          idle_reads = status["idle"] ? idle_reads + 1 : 0
          if monotonic > deadline
            raise Error, "events were still pending after #{timeout}s (#{status['pending']} queued or in flight); " \
                         "a handler may hang. Host log:\n#{log[-3000..] || log}"
          end
          sleep 0.02
        end
        @watchers.each(&:refresh)
        nil
      end

      def admin(method, path, body = nil)
        r = request(method, TESTING + path, body: body, headers: { "authorization" => "Bearer #{@secret}" })
        raise Error, "#{method.upcase} #{TESTING}#{path} answered #{r.status}: #{r.body}" unless r.status == 200

        r.body
      end

      private

      def signal(name)
        Process.kill(name, -@pid)
      rescue Errno::ESRCH
        nil
      end

      def monotonic = Process.clock_gettime(Process::CLOCK_MONOTONIC)

      def decode(res)
        text = res.body.to_s
        return text unless res["content-type"].to_s.include?("json") && !text.empty?

        JSON.parse(text)
      rescue JSON::ParserError
        text
      end
    end

    module_function

    # Starts a host on project_dir (default: $STEPHOST_PROJECT or the current folder).
    def create_tester(project_dir = nil, env: {}) = Tester.new(project_dir, env: env).start
  end
end

require_relative "testing_mock"
require_relative "testing_minitest"
