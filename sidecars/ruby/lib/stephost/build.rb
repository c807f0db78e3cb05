# frozen_string_literal: true

require "json"
require "rbconfig"
require_relative "processes"

module Stephost
  # The Ruby build of a version, run by the agent in the unpacked source
  # tree: a syntax check of every .rb file (`ruby -wc`), then every step is
  # loaded exactly as a worker would (this sidecar's `--check` mode). Each
  # command runs in its own process group; cancelling kills it.
  class Build
    SIDECAR = File.expand_path("../../bin/stephost-sidecar-ruby", __dir__)
    # Test-only: the build first sleeps this many seconds in a child of its
    # process group, so a test can cancel a build deterministically.
    TEST_SLEEP = "STEPHOST_AGENT_TEST_BUILD_SLEEP"
    SKIPPED_DIRS = %w[.git .stephost vendor node_modules].freeze

    class Cancelled < StandardError; end

    def self.worker_command(root) = [RbConfig.ruby, SIDECAR, root]

    attr_reader :tree

    # line: called with (text, stream) for every output line.
    def initialize(tree, env, line)
      @tree = tree
      @env = env
      @line = line
      @mutex = Mutex.new
      @group = nil
      @cancelled = false
    end

    # Kill the running command's process group; #run raises Cancelled.
    def cancel
      group = @mutex.synchronize do
        @cancelled = true
        @group
      end
      group&.stop(0)
    end

    # A BuildResult.
    def run
      if (pause = @env[TEST_SLEEP].to_s) != ""
        @line.call("test pause: sleeping #{pause}s", "stdout")
        command(["sh", "-c", "sleep #{pause} & wait"])
      end
      ruby_files.each do |rel|
        code, group = command([RbConfig.ruby, "-wc", rel])
        next if code.zero?

        why = group.tail.find { |l| l.start_with?("#{rel}:") } || group.tail.last || "exit code #{code}"
        return failed("does not compile: #{why}", rel)
      end
      check
    end

    private

    def ruby_files
      Dir.glob("**/*.rb", base: @tree).reject { |rel| SKIPPED_DIRS.include?(rel.split("/").first) }.sort
    end

    def failed(error, file = "")
      V1::BuildResult.new(ok: false, error: file.empty? ? error : "#{file}: #{error}", file: file)
    end

    # Runs one command to its end (shown first, as a shell would, to `echo`).
    def command(argv, on_line = @line, echo: @line)
      echo.call("$ #{argv.join(' ')}", "stdout")
      group = @mutex.synchronize do
        raise Cancelled, "the build was cancelled" if @cancelled

        @group = ProcessGroup.new(argv, cwd: @tree, env: @env, on_line: on_line)
      end
      code = group.wait
      raise Cancelled, "the build was cancelled" if @mutex.synchronize { @cancelled }

      [code, group]
    end

    # Load the project as a worker would; `--check` prints the manifests' JSON on stdout.
    def check
      out = []
      collect = ->(text, stream) { stream == "stdout" ? out << text : @line.call(text, stream) }
      code, group = command([RbConfig.ruby, SIDECAR, "--check", "."], collect, echo: @line)
      result = begin
        V1::BuildResult.decode_json(out.join("\n"), ignore_unknown_fields: true)
      rescue Google::Protobuf::ParseError
        return failed("loading the steps failed (exit #{code}): #{group.tail.last}")
      end
      if (first = result.load_errors.first)
        result.ok = false
        result.file = first.file
        result.error = "#{first.file}: #{first.message}"
      else
        result.ok = code.zero?
        result.error = "loading the steps failed (exit #{code})" unless result.ok
      end
      result
    end
  end
end
