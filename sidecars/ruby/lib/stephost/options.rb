# frozen_string_literal: true

require "optparse"
require "socket"
require_relative "log"

module Stephost
  # The sidecar's settings, built once from CLI flags over STEPHOST_* env
  # over defaults (docs/protocol.md, "Launch"). Every sidecar language
  # accepts the same flags, so the host's supervisor can launch any of them
  # the same way.
  Options = Struct.new(:connect, :secret, :sidecar_id, :capacity, :project, :version, :log_format, :log_level,
                       :check, :agent, :work_dir, keyword_init: true)

  class Options
    # A flag or env value that cannot be used; the message names the key
    # and the bad value.
    class Invalid < StandardError; end

    DEFAULT_CONNECT = "127.0.0.1:7070"
    DEFAULT_CAPACITY = 256

    FLAGS = %w[--connect --secret --sidecar-id --capacity --work-dir --check --agent --help -h].freeze

    def self.parse(argv, env = ENV)
      flags = {}
      # OptionParser happily takes the next flag as a missing value
      # (`--secret --capacity 3` would make the secret "--capacity").
      value = lambda do |flag, v|
        raise Invalid, "#{flag} needs a value, got the flag #{v}" if FLAGS.include?(v.split("=", 2).first)

        flags[flag.delete_prefix("--").tr("-", "_").to_sym] = v
      end
      parser = OptionParser.new do |o|
        o.banner = "usage: stephost-sidecar-ruby [--connect HOST:PORT] [--secret S] " \
                   "[--sidecar-id ID] [--capacity N] [DIR]\n" \
                   "       stephost-sidecar-ruby --check [DIR]\n" \
                   "       stephost-sidecar-ruby --agent [--work-dir DIR] [--connect HOST:PORT] [--secret S]"
        o.on("--connect HOST:PORT", "host's sidecar port (STEPHOST_CONNECT, default #{DEFAULT_CONNECT})") do |v|
          value.("--connect", v)
        end
        o.on("--secret S", "shared secret sent in the hello (STEPHOST_SECRET)") { |v| value.("--secret", v) }
        o.on("--sidecar-id ID", "identity in the hello (STEPHOST_SIDECAR_ID)") { |v| value.("--sidecar-id", v) }
        o.on("--capacity N", "invocations in flight at once (STEPHOST_CAPACITY, default 256)") do |v|
          value.("--capacity", v)
        end
        o.on("--check", "load DIR's steps, print them as JSON, exit 1 on a load error") { flags[:check] = true }
        o.on("--agent", "run no project: build and run the versions the host sends") { flags[:agent] = true }
        o.on("--work-dir DIR", "the agent's folder (STEPHOST_WORK_DIR, default a temp dir)") do |v|
          value.("--work-dir", v)
        end
        o.on("-h", "--help") do
          $stdout.puts o
          exit 0
        end
      end
      rest = parser.parse(argv)
      raise Invalid, "expected at most one project DIR, got #{rest.inspect}" if rest.size > 1

      pick = ->(key, env_key) { flags.fetch(key) { env[env_key] unless env[env_key].to_s.empty? } }
      new(
        connect: check_address(pick.(:connect, "STEPHOST_CONNECT") || DEFAULT_CONNECT),
        secret: pick.(:secret, "STEPHOST_SECRET").to_s,
        sidecar_id: pick.(:sidecar_id, "STEPHOST_SIDECAR_ID") ||
          "ruby#{'-agent' if flags[:agent]}-#{Socket.gethostname}-#{Process.pid}",
        capacity: check_capacity(pick.(:capacity, "STEPHOST_CAPACITY")),
        project: check_project(rest.first || env["STEPHOST_PROJECT"].then { |p| p.to_s.empty? ? "." : p }),
        version: env["STEPHOST_VERSION"].to_s,
        log_format: check_choice(env, "STEPHOST_LOG_FORMAT", Log::FORMATS, "text"),
        # "warning" is how the host spells it, and children inherit the host's environment.
        log_level: check_choice(env, "STEPHOST_LOG_LEVEL", Log::LEVELS.keys, "info", "warning" => "warn"),
        check: flags.fetch(:check, false),
        agent: flags.fetch(:agent, false),
        work_dir: pick.(:work_dir, "STEPHOST_WORK_DIR").to_s
      )
    rescue OptionParser::ParseError => e
      raise Invalid, e.message
    end

    def self.check_address(value)
      return value if value.match?(/\A.+:\d+\z/) || value.start_with?("unix:")

      raise Invalid, "--connect / STEPHOST_CONNECT: #{value.inspect} is not HOST:PORT (or unix:PATH)"
    end

    def self.check_project(value)
      path = File.expand_path(value)
      return path if File.directory?(path)

      raise Invalid, "project DIR / STEPHOST_PROJECT: #{value.inspect} is not a directory"
    end

    def self.check_capacity(value)
      return DEFAULT_CAPACITY if value.nil?

      n = Integer(value, exception: false)
      return n if n&.positive?

      raise Invalid, "--capacity / STEPHOST_CAPACITY: #{value.inspect} is not a positive integer"
    end

    # An env choice, case-insensitive; empty or unset is the default.
    def self.check_choice(env, key, allowed, default, aliases = {})
      raw = env[key].to_s
      return default if raw.empty?

      value = aliases.fetch(raw.downcase, raw.downcase)
      return value if allowed.include?(value)

      raise Invalid, "#{key}: #{raw.inspect} is not one of #{allowed.join(', ')}"
    end
  end
end
