# frozen_string_literal: true

require "json"
require "time"

module Stephost
  # The sidecar's own lifecycle log (connects, reconnects, load errors),
  # one line per event on stderr, which the host's supervisor mirrors into
  # its log. Handlers' ctx.logger output does not come here: it travels to
  # the host as LogRecords. The same settings in every sidecar language:
  # STEPHOST_LOG_LEVEL (debug|info|warn|error, default info) and
  # STEPHOST_LOG_FORMAT (text: "LEVEL message key=value ..."; json: one
  # object per line with time (RFC 3339), level, msg and the fields), read
  # and checked by Options.
  class Log
    LEVELS = { "debug" => 0, "info" => 1, "warn" => 2, "error" => 3 }.freeze
    FORMATS = %w[text json].freeze

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
               # time/level/msg first and authoritative: a field of the same name cannot replace them.
               core = { time: Time.now.utc.iso8601(3), level: level, msg: msg }
               JSON.generate(core.merge(fields) { |_key, kept, _field| kept })
             else
               tail = fields.map { |k, v| "#{k}=#{text_value(v)}" }
               # "LEVEL message": the host's supervisor reads the first word
               # as the level when it mirrors our output into its log.
               [level.upcase, msg, *tail].join(" ")
             end
      # One write per line so concurrent threads never interleave.
      @mutex.synchronize { @io.write("#{line}\n") }
    rescue IOError, SystemCallError
      nil # stderr gone (parent died); nothing useful left to do
    end

    # As the Node sidecar writes it: plain when it reads unambiguously,
    # JSON-quoted when it has spaces, "=" or quotes; non-Strings as JSON.
    def text_value(value)
      text = value.is_a?(String) ? value : JSON.generate(value)
      text.match?(/[\s="]/) ? JSON.generate(text) : text
    rescue JSON::GeneratorError
      value.inspect
    end
  end
end
