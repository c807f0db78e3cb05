# frozen_string_literal: true

require "fileutils"
require "tmpdir"
require_relative "bundle"
require_relative "build"
require_relative "processes"

module Stephost
  # The agent (docs/agents.md): a sidecar with no project that builds
  # versions and runs each in a worker process. It dials the host like any
  # sidecar (hello.agent set) and obeys AgentCommands:
  #   chunk  the bundle the next command of the same request uses (digest checked)
  #   build  unpack the source, `ruby -wc` every file, load every step as a
  #          worker would (`--check`), send back the built tree and the result
  #   start  unpack a bundle into <work-dir>/versions/<version> and run a
  #          worker (this sidecar in its normal mode there, STEPHOST_VERSION
  #          set), which dials the host itself; states and output go to the host
  #   stop   SIGTERM the worker (it drains), SIGKILL after the drain, remove the tree
  #   cancel stop a build and its whole process group
  # It is the connection's runner too: an agent runs no steps itself.
  class Agent
    SAFE_VERSION = /\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\z/
    DEFAULT_BUILD_TIMEOUT = 600
    Worker = Struct.new(:version, :worker_id, :group, :watcher, :stopping, keyword_init: true)

    # send: pushes a SidecarMessage on the current stream (worker states, output).
    def initialize(options:, work_dir:, send:, log:)
      @options = options
      @work = work_dir
      @send = send
      @log = log
      @mutex = Mutex.new
      @assemblies = {} # request id -> Bundle::Assembly
      @received = {} # request id -> String | Bundle::Error
      @builds = {} # request id -> [Build, Thread]
      @workers = {} # version -> Worker
      @count = 0
    end

    # --- the runner the connection wants -----------------------------------

    def in_flight = 0

    def submit(session, invocation)
      error = V1::StepError.new(type: "AgentRunsNoSteps", message: "an agent runs no steps", retryable: true)
      session.push(V1::SidecarMessage.new(result: V1::InvocationResult.new(invocation_id: invocation.invocation_id,
                                                                            error: error)))
    end

    def cancel(*) = nil
    def ack(*) = nil
    def abandon(*) = nil # builds and workers carry on: the agent dials again, the workers on their own

    # The agent is stopping: so do its builds and workers (no orphans).
    def drain(grace)
      builds, workers = @mutex.synchronize { [@builds.values, @workers.values] }
      builds.each { |build, _| build.cancel }
      stoppers = workers.map { |w| Thread.new { stop_worker(w, grace) } }
      (builds.map(&:last) + stoppers).each(&:join)
    end

    # --- commands (on the connection's thread: never block it) -------------

    def command(session, cmd)
      reply = ->(**event) { session.push(V1::SidecarMessage.new(agent: V1::AgentEvent.new(request_id: cmd.request_id, **event))) }
      case cmd.op
      when :chunk then chunk(cmd.request_id, cmd.chunk)
      when :build
        req = cmd.build
        line = ->(text, stream = "stdout") { reply.(log: V1::AgentLog.new(line: text, stream: stream, version: req.version)) }
        build = Build.new(File.join(@work, "builds", cmd.request_id), ENV.to_h.merge(req.env.to_h), line)
        # Under the lock: the build's own ensure (which removes it) waits for this entry.
        @mutex.synchronize do
          @builds[cmd.request_id] = [build, Thread.new { run_build(cmd.request_id, req, build, line, reply) }]
        end
      when :start then Thread.new { start(cmd.request_id, cmd.start, reply) }
      when :stop then Thread.new { stop(cmd.stop, reply) }
      when :cancel
        build, = @mutex.synchronize { @builds[cmd.cancel.target_request_id] }
        Thread.new { build.cancel } if build
      end
    end

    private

    def chunk(request_id, chunk)
      @mutex.synchronize do
        next if @received.key?(request_id) # failed already

        data = (@assemblies[request_id] ||= Bundle::Assembly.new).add(chunk)
        if data
          @assemblies.delete(request_id)
          @received[request_id] = data
        end
      rescue Bundle::Error => e
        @assemblies.delete(request_id)
        @received[request_id] = e
      end
    end

    def take_bundle(request_id)
      got = @mutex.synchronize do
        @assemblies.delete(request_id)
        @received.delete(request_id)
      end
      raise got if got.is_a?(Bundle::Error)
      raise Bundle::Error, "no bundle was sent before the command" if got.nil?

      got
    end

    # --- build -------------------------------------------------------------

    def run_build(request_id, req, build, line, reply)
      started = now
      tree = build.tree
      seconds = req.timeout_seconds.positive? ? req.timeout_seconds : DEFAULT_BUILD_TIMEOUT
      expired = false
      timer = Thread.new do
        sleep seconds
        expired = true
        build.cancel
      end
      result = begin
        source = take_bundle(request_id)
        FileUtils.rm_rf(tree)
        Bundle.unpack(source, tree)
        built(build.run, tree, reply)
      rescue Build::Cancelled
        failed(expired ? "the build ran past its deadline of #{seconds}s" : "the build was cancelled")
      rescue Bundle::Error => e
        failed("the source bundle: #{e.message}")
      rescue StandardError => e
        failed("the agent failed: #{e.class}: #{e.message}")
      ensure
        timer.kill
        FileUtils.rm_rf(tree)
        @mutex.synchronize { @builds.delete(request_id) }
      end
      result.seconds = now - started
      line.("build #{result.ok ? 'succeeded' : "failed: #{result.error}"} in #{format('%.1f', result.seconds)}s")
      reply.(build_result: result)
    end

    def built(result, tree, reply)
      return result unless result.ok

      data = Bundle.pack(tree)
      result.bundle_digest = Bundle.digest(data)
      result.bundle_size = data.bytesize
      Bundle.chunks(data).each { |c| reply.(chunk: c) }
      result
    end

    def failed(error) = V1::BuildResult.new(ok: false, error: error)

    # --- workers -----------------------------------------------------------

    def start(request_id, req, reply)
      state = ->(**ws) { reply.(worker: V1::WorkerState.new(version: req.version, **ws)) }
      running = @mutex.synchronize { @workers[req.version] }
      return state.(state: "running", worker_id: running.worker_id) if running # asked twice

      begin
        raise ArgumentError, "version #{req.version.inspect} is not a safe folder name" unless SAFE_VERSION.match?(req.version)

        root = unpack_version(req.version, take_bundle(request_id), req.bundle_digest)
        worker_id = "#{@options.sidecar_id}-#{req.version}-#{@mutex.synchronize { @count += 1 }}"
        state.(state: "starting", worker_id: worker_id)
        on_line = ->(text, stream) { @send.(agent_log(text, stream, req.version)) }
        group = ProcessGroup.new(Build.worker_command(root), cwd: root, env: worker_env(req, worker_id), on_line: on_line)
      rescue StandardError => e
        return state.(state: "exited", exit_code: -1, detail: "could not start: #{e.message}")
      end
      worker = Worker.new(version: req.version, worker_id: worker_id, group: group, stopping: false)
      @mutex.synchronize { @workers[req.version] = worker }
      worker.watcher = Thread.new { watch(worker) }
      state.(state: "running", worker_id: worker_id)
    end

    def agent_log(text, stream, version)
      V1::SidecarMessage.new(agent: V1::AgentEvent.new(log: V1::AgentLog.new(line: text, stream: stream, version: version)))
    end

    def worker_env(req, worker_id)
      ENV.to_h.merge(req.env.to_h).merge(
        "STEPHOST_VERSION" => req.version,
        "STEPHOST_SIDECAR_ID" => worker_id,
        "STEPHOST_CONNECT" => @options.connect,
        "STEPHOST_SECRET" => @options.secret,
        "STEPHOST_AGENT_PID" => Process.pid.to_s # the worker stops when its agent is gone
      )
    end

    def unpack_version(version, data, expected)
      found = Bundle.digest(data)
      raise Bundle::Error, "the bundle's digest is #{found}, StartVersion says #{expected}" \
        unless expected.empty? || found == expected

      root = File.join(@work, "versions", version)
      marker = "#{root}.digest"
      return root if File.directory?(root) && File.file?(marker) && File.read(marker) == found

      FileUtils.rm_rf(root)
      Bundle.unpack(data, root)
      File.write(marker, found)
      root
    end

    def watch(worker)
      code = worker.group.wait
      return if worker.stopping # stop reports it

      @mutex.synchronize { @workers.delete(worker.version) }
      @send.(V1::SidecarMessage.new(agent: V1::AgentEvent.new(worker: V1::WorkerState.new(
        version: worker.version, state: "exited", exit_code: code, detail: worker.group.tail.join("\n"),
        worker_id: worker.worker_id
      ))))
    end

    def stop(req, reply)
      worker = @mutex.synchronize { @workers[req.version] }
      code = worker ? stop_worker(worker, req.drain_seconds) : 0
      if !req.keep_files && SAFE_VERSION.match?(req.version)
        root = File.join(@work, "versions", req.version)
        FileUtils.rm_rf([root, "#{root}.digest"])
      end
      reply.(worker: V1::WorkerState.new(version: req.version, state: "stopped", exit_code: code,
                                         worker_id: worker ? worker.worker_id : ""))
    end

    def stop_worker(worker, grace)
      worker.stopping = true
      code = worker.group.stop(grace)
      worker.watcher&.join
      @mutex.synchronize { @workers.delete(worker.version) }
      code
    end

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end
