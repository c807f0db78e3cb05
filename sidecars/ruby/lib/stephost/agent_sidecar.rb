# frozen_string_literal: true

require "tmpdir"
require_relative "agent"

module Stephost
  # `--agent`: dial the host as an agent and obey its commands (agent.rb)
  # until SIGTERM/SIGINT; the agent's builds and workers stop with it.
  class AgentSidecar < Sidecar
    def run
      control = Queue.new
      %w[TERM INT].each { |sig| trap(sig) { control << [:signal, sig] } }
      temp = @options.work_dir.empty? ? Dir.mktmpdir("stephost-agent-") : nil
      work = File.expand_path(temp || @options.work_dir)
      FileUtils.mkdir_p(work)
      hello = Connection.hello(@options, Loader.new(work))
      hello.agent = true
      hello.capacity = 1
      connection = nil
      agent = Agent.new(options: @options, work_dir: work, send: ->(m) { connection.push(m) }, log: @log)
      connection = Connection.new(address: @options.connect, hello: hello, runner: agent, log: @log,
                                  on_rejected: ->(why) { control << [:rejected, why] })
      @log.info("ruby agent dialing host", host: @options.connect, sidecar_id: @options.sidecar_id, work_dir: work)
      thread = connect(connection, control)
      event, detail = control.pop
      agent.drain(DRAIN_TIMEOUT)
      connection.close(thread, grace: 1.0)
      case event
      when :rejected
        warn detail
        EXIT_REJECTED
      when :crashed
        @log.error("connection thread crashed", error: "#{detail.class}: #{detail.message}")
        1
      else
        0
      end
    ensure
      FileUtils.rm_rf(temp) if temp
    end
  end
end
