# frozen_string_literal: true

require_relative "proto"
require_relative "../stephost"
require_relative "options"
require_relative "log"
require_relative "loader"
require_relative "runner"
require_relative "hooks"
require_relative "connection"

module Stephost
  # The composition root: options, then step files (loader), then the worker
  # pool (runner), then the connection; signals and the exit code are
  # decided here.
  class Sidecar
    DRAIN_TIMEOUT = 10.0 # protocol.md: in-flight work gets at most 10 s on SIGTERM
    EXIT_REJECTED = 2

    def self.main(argv)
      options = Options.parse(argv)
      exit check(options) if options.check
      if options.agent
        require_relative "agent_sidecar"
        exit AgentSidecar.new(options).run
      end
      exit new(options).run
    rescue Options::Invalid => e
      warn "stephost-sidecar-ruby: #{e.message}"
      exit EXIT_REJECTED
    end

    # `--check`: load the project as a worker would and print what was found
    # as JSON (BuildResult's fields: steps, streams, loadErrors, hooks); 1 on
    # a load error. What step files print while loading goes to stderr, so
    # stdout holds the JSON alone.
    def self.check(options)
      stdout = $stdout
      $stdout = $stderr
      loader = begin
        Loader.new(options.project).load_all
      ensure
        $stdout = stdout
      end
      hello = Connection.hello(options, loader)
      found = V1::BuildResult.new(steps: hello.steps.to_a, streams: hello.streams.to_a,
                                  load_errors: hello.load_errors.to_a, hooks: hello.hooks.to_a)
      $stdout.puts(found.to_json)
      loader.failures.empty? ? 0 : 1
    end

    def initialize(options)
      @options = options
      @log = Log.new(format: options.log_format, level: options.log_level)
    end

    # Returns the process exit code.
    def run
      # Signals are queued from the very start: a SIGTERM while step files
      # are still loading must still end in a clean exit 0.
      control = Queue.new
      signalled = false
      %w[TERM INT].each do |sig|
        trap(sig) do
          Process.exit!(0) if signalled # a second signal stops waiting for handlers
          signalled = true
          control << [:signal, sig]
        end
      end
      watch_agent(control)

      loader = Loader.new(@options.project).load_all
      loader.failures.each { |f| @log.error("step file failed to load", file: f.file, error: f.message) }
      @log.info("steps loaded", project: @options.project, steps: loader.steps.size,
                                streams: loader.streams.size, hooks: loader.hooks.size,
                                load_errors: loader.failures.size)

      return 0 unless control.empty? # stopped while loading: nothing started yet

      runner = Runner.new(loader.steps, hooks: loader.hooks, capacity: @options.capacity, log: @log)
      connection = Connection.new(address: @options.connect, hello: Connection.hello(@options, loader), runner: runner,
                                  log: @log, on_rejected: ->(why) { control << [:rejected, why] })
      thread = connect(connection, control)

      event, detail = control.pop
      case event
      when :rejected
        warn detail # protocol.md: "code: message" on stderr, exit 2
        connection.close(thread, grace: 1.0)
        EXIT_REJECTED
      when :crashed
        @log.error("connection thread crashed", error: "#{detail.class}: #{detail.message}",
                                                at: detail.backtrace&.first)
        1
      else
        shutdown(connection, runner, thread, detail)
      end
    end

    private

    # The connection's own thread; a crash there reaches the main thread as :crashed.
    def connect(connection, control)
      Thread.new do
        Thread.current.name = "stephost-connection"
        connection.run
      rescue Exception => e # rubocop:disable Lint/RescueException
        control << [:crashed, e]
      end
    end

    # A worker an agent started stops as on SIGTERM when that agent dies
    # without stopping it: no orphan keeps serving an old version.
    def watch_agent(control)
      agent = ENV["STEPHOST_AGENT_PID"].to_i
      return unless agent.positive?

      Thread.new do
        sleep 1 while Process.ppid == agent
        control << [:signal, "agent gone"]
      end
    end

    def shutdown(connection, runner, thread, signal)
      @log.info("stopping", signal: signal, in_flight: runner.in_flight)
      connection.drain!
      @log.warn("in-flight invocations did not finish in time; abandoning them") unless runner.wait_idle(DRAIN_TIMEOUT)
      connection.close(thread)
      @log.info("stopped")
      0
    end
  end
end
