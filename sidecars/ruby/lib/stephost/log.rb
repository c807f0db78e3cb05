# frozen_string_literal: true

require "json"
require "time"

module Stephost
  # The sidecar's own lifecycle log (connects, reconnects, load errors),
  # one line per event on stderr, which the host's supervisor mirrors into
  # its log. Handlers' ctx.logger output does not come here: it travels to
  # the host as LogRecords. STEPHOST_LOG_FORMAT=json gives one JSON object
  # per line for log shippers.
  class Log
    LEVELS = { "debug" => 0, "info" => 1, "warn" => 2, "error" => 3 }.freeze

    def initialize(io: $stderr, format: "text", level: "info")
      @io = io
      @json = format == "json"
      @min = LEVELS.fetch(level)
      @mutex = Mutex.new
    end

    def debug? = @min.zero?

    %w[debug info warn error].each do |lvl|
      define_method(lvl) { |msg, **fields| write(lvl, msg, fields) }
    end

    private

    def write(level, msg, fields)
      return if LEVELS.fetch(level) < @min

      line = if @json
               JSON.generate({ time: Time.now.utc.iso8601(3), level: level, logger: "stephost.ruby",
                               msg: msg, **fields })
             else
               tail = fields.map { |k, v| "#{k}=#{v.is_a?(String) && !v.include?(' ') ? v : v.inspect}" }
               # "LEVEL message": the host's supervisor reads the first word
               # as the level when it mirrors our output into its log.
               [level.upcase, msg, *tail].join(" ")
             end
      # One write per line so concurrent threads never interleave.
      @mutex.synchronize { @io.write("#{line}\n") }
    rescue IOError, SystemCallError
      nil # stderr gone (parent died); nothing useful left to do
    end
  end
end
