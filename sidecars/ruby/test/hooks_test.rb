# frozen_string_literal: true

require_relative "test_helper"

# Project hooks for real-time stream auth: finding and loading stream_auth.rb,
# wrapping stream files' can_access, and running both as Invocation.hook on
# the runner's pool.
class HooksTest < Minitest::Test
  include StephostTest::Project
  Log = Stephost::Log.new(io: StringIO.new)

  AUTH = <<~RUBY
    TOKENS = { "t-ada" => { userId: "ada", roles: [:admin] } }.freeze

    def authenticate(request)
      TOKENS[request[:token]] || (request.dig(:query, :guest) == "1" ? { userId: "guest" } : nil)
    end
  RUBY

  STREAMS = {
    "steps/todo.stream.rb" => <<~RUBY,
      def config = { name: "todo", schema: { type: "object" } }
      def can_access(subscription, auth_context)
        raise ArgumentError, "boom" if subscription[:groupId] == "explode"

        auth_context&.dig(:userId) == subscription[:groupId]
      end
    RUBY
    # Truthy but not `true`: must be a refusal.
    "steps/loose.stream.rb" => "def config = { name: 'loose', schema: {} }\ndef can_access(sub, auth) = auth\n",
    # Declares only the first parameter.
    "steps/open.stream.rb" => "CONFIG = { name: 'open', schema: {} }\nCAN_ACCESS = ->(sub) { sub.key?(:groupId) }\n",
    "steps/plain.stream.rb" => "def config = { name: 'plain', schema: {} }\n"
  }.freeze

  # --- loader -------------------------------------------------------------

  def test_finds_stream_auth_in_the_root_then_steps_then_src
    with_project("src/stream_auth.rb" => AUTH) do |dir|
      assert_equal "src/stream_auth.rb", Stephost::Loader.new(dir).discover_auth
    end
    with_project("src/stream_auth.rb" => "raise 'not me'", "steps/stream_auth.rb" => AUTH) do |dir|
      loader = Stephost::Loader.new(dir)
      assert_equal "steps/stream_auth.rb", loader.discover_auth
      assert_empty loader.load_all.failures, "only the first file found is loaded"
    end
    with_project("stream_auth.rb" => AUTH, "steps/stream_auth.rb" => "raise 'not me'") do |dir|
      assert_equal "stream_auth.rb", Stephost::Loader.new(dir).discover_auth
    end
    with_project("steps/deep/stream_auth.rb" => AUTH, "lib/stream_auth.rb" => AUTH) do |dir|
      assert_nil Stephost::Loader.new(dir).discover_auth, "only the three fixed places count"
    end
  end

  def test_auth_file_becomes_the_stream_authenticate_hook_and_is_not_a_step
    loader = load_project("steps/stream_auth.rb" => AUTH, **STREAMS)
    assert_empty loader.failures
    assert_empty loader.steps
    assert_equal %w[loose open plain todo], loader.streams.map(&:name)
    assert_equal [["stream_authenticate", nil, "steps/stream_auth.rb"],
                  ["stream_can_access", "loose", "steps/loose.stream.rb"],
                  ["stream_can_access", "open", "steps/open.stream.rb"],
                  ["stream_can_access", "todo", "steps/todo.stream.rb"]],
                 loader.hooks.map { |h| [h.name, h.stream, h.file] }.sort_by(&:to_s)
    assert_equal %w[stream_authenticate], loader.hooks.select(&:project_level?).map(&:name)
    refute Object.private_method_defined?(:authenticate), "the auth file gets its own namespace"
    refute Object.const_defined?(:TOKENS)
  end

  def test_no_auth_file_no_authenticate_hook
    loader = load_project(STREAMS)
    assert_empty loader.hooks.select(&:project_level?)
    assert_equal 3, loader.hooks.size
  end

  def test_an_authenticate_constant_works_too
    loader = load_project("stream_auth.rb" => "AUTHENTICATE = ->(req) { { user: req[:token] } }\n")
    assert_empty loader.failures
    assert_equal '{"user":"x"}', loader.hooks.first.run(Stephost::Wire.parse('{"token":"x"}'))
  end

  def test_a_broken_auth_file_is_a_load_error_naming_it
    cases = {
      "def authenticate(request\n" => /\ASyntaxError: stream_auth.rb:\d+: /,
      "raise KeyError, 'no JWT_SECRET'" => /\AKeyError: no JWT_SECRET\z/,
      "def auth(request) = nil\n" => /\Ano authenticate: define `def authenticate\(request\)`/,
      "AUTHENTICATE = 42\n" => /\AAUTHENTICATE must respond to #call, got Integer\z/
    }
    cases.each do |src, pattern|
      loader = load_project("stream_auth.rb" => src, **STREAMS)
      assert_equal ["stream_auth.rb"], loader.failures.map(&:file), src
      assert_match pattern, loader.failures.first.message, src
      refute_includes loader.failures.first.message, "\n"
      assert_empty loader.hooks.select(&:project_level?), src
      assert_equal 4, loader.streams.size, "the stream files still load"
    end
  end

  # --- runner -------------------------------------------------------------

  def results(session, count, timeout: 5)
    deadline = Time.now + timeout
    out = []
    while out.size < count
      raise "timed out with #{out.size}/#{count} results" if Time.now > deadline

      session.pushed.empty? ? sleep(0.005) : out << session.pushed.pop.result
    end
    out.to_h { |r| [r.invocation_id, r] }
  end

  def run_hooks(invocations, files: { "stream_auth.rb" => AUTH, **STREAMS })
    loader = load_project(files)
    ex = Stephost::Runner.new(loader.steps, hooks: loader.hooks, capacity: 4, log: Log)
    session = StephostTest::FakeSession.new
    invocations.each_with_index do |(hook, step, payload), i|
      ex.submit(session, StephostTest.invocation(step: step, payload: payload, id: i.to_s, hook: hook))
    end
    results(session, invocations.size).values_at(*invocations.each_index.map(&:to_s))
  end

  def access(stream, group, auth)
    ["stream_can_access", stream, { subscription: { streamName: stream, groupId: group }, authContext: auth }]
  end

  def test_stream_authenticate_returns_the_auth_context_or_null
    out = run_hooks([
                      ["stream_authenticate", "", { token: "t-ada", headers: {}, query: {} }],
                      ["stream_authenticate", "", { token: nil, headers: {}, query: { guest: "1" } }],
                      ["stream_authenticate", "", { token: "wrong", headers: {}, query: {} }]
                    ])
    assert_equal [{ "userId" => "ada", "roles" => ["admin"] }, { "userId" => "guest" }, nil],
                 out.map { |r| JSON.parse(r.result_json) }
  end

  def test_stream_can_access_is_true_only_for_exactly_true
    out = run_hooks([
                      access("todo", "ada", { userId: "ada" }),
                      access("todo", "bob", { userId: "ada" }),
                      access("todo", "ada", nil),
                      access("loose", "g", { userId: "ada" }), # truthy Hash, not true
                      access("open", "g", nil) # one-parameter lambda
                    ])
    assert_equal %w[true false false false true], out.map(&:result_json)
  end

  def test_hook_failures_are_error_results
    out = run_hooks([
                      access("todo", "explode", nil),
                      access("plain", "g", nil),
                      access("nope", "g", nil),
                      ["stream_can_access", "todo", { authContext: nil }],
                      ["stream_frobnicate", "", {}]
                    ])
    errors = out.map { |r| [r.result_json, r.error&.type, r.error&.message] }
    assert_equal ["", "ArgumentError", "boom"], errors[0]
    assert_equal ["", "NonRetryableError", 'no stream named "plain" with can_access is loaded in this sidecar'], errors[1]
    assert_equal ["", "NonRetryableError", 'no stream named "nope" with can_access is loaded in this sidecar'], errors[2]
    assert_equal "ArgumentError", errors[3][1]
    assert_equal ["", "NonRetryableError", 'unknown hook "stream_frobnicate"'], errors[4]

    missing = run_hooks([["stream_authenticate", "", { token: "t" }]], files: STREAMS).first
    assert_equal "no stream_auth.rb with authenticate is loaded in this sidecar", missing.error.message
  end

  def test_a_hook_and_a_step_share_a_name_without_clashing
    files = { **STREAMS, "steps/todo.step.rb" => "def config = { type: 'event', name: 'todo', subscribes: ['t'] }\n" \
                                                  "def handler(input, ctx) = 'the step'\n" }
    out = run_hooks([access("todo", "ada", { userId: "ada" }), ["", "todo", nil]], files: files)
    assert_equal %w[true "the\ step"], out.map(&:result_json)
  end

  def test_hooks_share_the_pool_capacity_and_cancel
    gate = Queue.new
    hooks = [Stephost::Hooks::Hook.authenticate(file: "stream_auth.rb", callable: ->(_req) { gate.pop })]
    ex = Stephost::Runner.new([], hooks: hooks, capacity: 1, log: Log)
    session = StephostTest::FakeSession.new
    auth = ->(id) { StephostTest.invocation(step: "", id: id, hook: "stream_authenticate", payload: {}) }
    ex.submit(session, auth.("a"))
    ex.submit(session, auth.("b"))
    sleep 0.01 until ex.in_flight == 1
    sleep 0.05
    assert_equal 1, ex.in_flight, "capacity 1: the second hook waits"
    ex.cancel(session, "a", "deadline")
    assert_equal %w[Cancelled deadline], results(session, 1).fetch("a").error.then { |e| [e.type, e.message] }
    gate << { "ok" => true }
    assert_equal '{"ok":true}', results(session, 1).fetch("b").result_json
    assert ex.wait_idle(1)
  end
end
