# frozen_string_literal: true

require_relative "test_helper"
require "stringio"

# The settings every sidecar language reads the same way (STEPHOST_VERSION,
# STEPHOST_LOG_LEVEL, STEPHOST_LOG_FORMAT), the log lines they shape, and the
# hello that carries the version.
class OptionsLogTest < Minitest::Test
  def options(env = {}) = Stephost::Options.parse([Dir.tmpdir], env)

  def test_defaults
    o = options
    assert_equal ["", "info", "text", 256], [o.version, o.log_level, o.log_format, o.capacity]
    o = options("STEPHOST_LOG_LEVEL" => "", "STEPHOST_LOG_FORMAT" => "")
    assert_equal %w[info text], [o.log_level, o.log_format]
  end

  def test_env_values_case_insensitive_and_the_hosts_warning_spelling
    o = options("STEPHOST_VERSION" => "v9", "STEPHOST_LOG_LEVEL" => "DEBUG", "STEPHOST_LOG_FORMAT" => "JSON")
    assert_equal %w[v9 debug json], [o.version, o.log_level, o.log_format]
    %w[debug info warn error].each { |l| assert_equal l, options("STEPHOST_LOG_LEVEL" => l).log_level }
    assert_equal "warn", options("STEPHOST_LOG_LEVEL" => "warning").log_level
  end

  def test_bad_values_name_the_variable_and_the_value
    e = assert_raises(Stephost::Options::Invalid) { options("STEPHOST_LOG_LEVEL" => "loud") }
    assert_equal 'STEPHOST_LOG_LEVEL: "loud" is not one of debug, info, warn, error', e.message
    e = assert_raises(Stephost::Options::Invalid) { options("STEPHOST_LOG_FORMAT" => "xml") }
    assert_equal 'STEPHOST_LOG_FORMAT: "xml" is not one of text, json', e.message
  end

  def lines(format: "text", level: "info")
    io = StringIO.new
    log = Stephost::Log.new(io: io, format: format, level: level)
    yield log
    io.string.lines
  end

  def test_agent_and_check_modes
    agent = Stephost::Options.parse(["--agent", "--work-dir", "/w", "--connect", "unix:/tmp/link.sock"], {})
    assert_equal [true, false, "/w", "unix:/tmp/link.sock"], [agent.agent, agent.check, agent.work_dir, agent.connect]
    assert_match(/\Aruby-agent-/, agent.sidecar_id)
    assert_equal "/env", Stephost::Options.parse(["--agent"], { "STEPHOST_WORK_DIR" => "/env" }).work_dir
    check = Stephost::Options.parse(["--check", Dir.tmpdir], {})
    assert_equal [true, false], [check.check, check.agent]
  end

  def test_text_lines
    out = lines { |log| log.info("connected", host: "h1", reason: 'the host said "no"', n: 3, obj: { a: 1 }) }
    assert_equal [%(INFO connected host=h1 reason="the host said \\"no\\"" n=3 obj="{\\"a\\":1}"\n)], out
  end

  def test_json_lines_carry_time_level_msg_and_the_fields
    out = lines(format: "json") { |log| log.warn("reconnecting", attempt: 2, msg: "cannot replace msg") }
    assert_equal 1, out.size
    record = JSON.parse(out.first)
    assert_equal %w[time level msg attempt], record.keys
    assert_equal ["warn", "reconnecting", 2], record.values_at("level", "msg", "attempt")
    assert_match(/\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\z/, record["time"])
  end

  def test_the_level_is_a_threshold
    { "debug" => 4, "info" => 3, "warn" => 2, "error" => 1 }.each do |level, expected|
      out = lines(level: level) { |log| %i[debug info warn error].each { |l| log.public_send(l, "x") } }
      assert_equal expected, out.size, level
      assert_equal level == "debug", Stephost::Log.new(io: StringIO.new, level: level).debug?
    end
  end

  def test_hello_carries_the_version_and_project_level_hooks_only
    loader = Struct.new(:steps, :streams, :hooks, :failures).new(
      [], [], [Stephost::Hooks::Hook.can_access(stream: "team", file: "t.stream.rb", callable: ->(*) { true }),
               Stephost::Hooks::Hook.authenticate(file: "stream_auth.rb", callable: ->(_) {})], []
    )
    hello = Stephost::Connection.hello(options("STEPHOST_VERSION" => "v2"), loader)
    assert_equal ["ruby", 2, "v2", %w[stream_authenticate]],
                 [hello.language, hello.protocol_version, hello.version, hello.hooks.to_a]
    assert_equal "", Stephost::Connection.hello(options, loader).version
  end
end
