# frozen_string_literal: true

require_relative "test_helper"

class LoaderTest < Minitest::Test
  include StephostTest::Project

  CLASSIC_A = <<~RUBY
    def config
      { "type" => "event", "name" => "a", "subscribes" => ["t"], "flows" => ["f"] }
    end

    def handler(input, ctx)
      "from a"
    end
  RUBY

  CLASSIC_B = <<~RUBY
    def config
      { type: :event, name: "b", subscribes: ["t"] }
    end

    def helper = "from b"

    def handler(input, ctx)
      helper
    end
  RUBY

  def run_event(step) = step.run(nil, nil)

  def test_discovers_both_suffixes_recursively_in_sorted_order_and_skips_dirs
    files = {
      "steps/z.step.rb" => CLASSIC_A.sub('"a"', '"z"'),
      "steps/deep/er/b_step.rb" => CLASSIC_B,
      "src/c.step.rb" => CLASSIC_A.sub('"a"', '"c"'),
      "steps/node_modules/x.step.rb" => "raise 'no'",
      "steps/.hidden/x.step.rb" => "raise 'no'",
      "steps/helper.rb" => "raise 'not a step'",
      "steps/notastep.rb" => "raise 'no'",
      "other/d.step.rb" => "raise 'no'"
    }
    with_project(files) do |dir|
      assert_equal %w[src/c.step.rb steps/deep/er/b_step.rb steps/z.step.rb], Stephost::Loader.new(dir).discover
    end
  end

  def test_classic_files_get_their_own_namespace
    loader = load_project("steps/a.step.rb" => CLASSIC_A, "steps/b_step.rb" => CLASSIC_B)
    assert_empty loader.failures
    a, b = loader.steps
    assert_equal %w[a b], [a.name, b.name]
    assert_equal '"from a"', run_event(a)
    assert_equal '"from b"', run_event(b)
    refute Object.private_method_defined?(:handler), "step methods must not leak onto Object"
  end

  def test_config_is_json_safe_with_string_keys
    loader = load_project("steps/b_step.rb" => CLASSIC_B)
    step = loader.steps.first
    assert_equal({ "type" => "event", "name" => "b", "subscribes" => ["t"] }, step.config)
    assert_equal 'steps/b_step.rb', step.manifest.file
    assert_equal({ "type" => "event", "name" => "b", "subscribes" => ["t"] }, JSON.parse(step.manifest.config_json))
  end

  def test_constant_style_and_lambda_handler
    src = <<~RUBY
      CONFIG = { type: "cron", name: "c", cron: "* * * * *" }.freeze
      HANDLER = ->(ctx) { ctx }
    RUBY
    step = load_project("steps/c.step.rb" => src).steps.first
    assert_equal "c", step.name
    assert_equal '"ctx"', step.run(nil, "ctx")
  end

  def test_require_relative_resolves_from_the_step_file
    files = {
      "steps/lib/shared.rb" => "module SharedForLoaderTest; VALUE = 42; end",
      "steps/sub/r.step.rb" => <<~RUBY
        require_relative "../lib/shared"
        def config = { type: "event", name: "r", subscribes: ["t"], dir: File.basename(__dir__) }
        def handler(input, ctx) = SharedForLoaderTest::VALUE
      RUBY
    }
    step = load_project(files).steps.first
    assert_equal "sub", step.config["dir"]
    assert_equal "42", run_event(step)
  end

  def test_classes_defined_in_a_step_stay_in_its_namespace
    src = ->(name, word) { "class Greeter; def hi = #{word.inspect}; end\n" \
                           "def config = { type: 'event', name: '#{name}', subscribes: ['t'] }\n" \
                           "def handler(i, c) = Greeter.new.hi\n" }
    loader = load_project("steps/x.step.rb" => src.("x", "one"), "steps/y.step.rb" => src.("y", "two"))
    assert_equal ['"one"', '"two"'], loader.steps.map { |s| run_event(s) }
    refute Object.const_defined?(:Greeter)
  end

  def test_syntax_error_is_reported_and_other_files_load
    loader = load_project("steps/a.step.rb" => CLASSIC_A, "steps/broken.step.rb" => "def handler(req\n  1\nend\n")
    assert_equal %w[a], loader.steps.map(&:name)
    failure = loader.failures.first
    assert_equal "steps/broken.step.rb", failure.file
    assert_match(/\ASyntaxError: steps\/broken.step.rb:\d+: syntax error/, failure.message)
    refute_includes failure.message, "\n"
    assert_includes failure.stack, "broken.step.rb"
  end

  def test_load_failures_name_the_problem
    cases = {
      "steps/noconfig.step.rb" => ["def handler(i, c) = 1", /no config/],
      "steps/nohandler.step.rb" => ["def config = { type: 'api', name: 'n', path: '/n' }", /no handler: define `def handler\(req, ctx\)`/],
      "steps/notahash.step.rb" => ["def config = [1]\ndef handler(i, c) = 1", /config must be a Hash, got Array/],
      "steps/raises.step.rb" => ["raise ArgumentError, 'bad env'", /\AArgumentError: bad env\z/],
      "steps/missing_require_step.rb" => ["require 'no_such_gem_anywhere'", /\ALoadError: cannot load such file/],
      "steps/exits.step.rb" => ["exit 3", /\ASystemExit: exit\z/],
      "steps/badmw.step.rb" => ["def config = { type: 'api', name: 'm', path: '/m', middleware: [:nope] }\n" \
                                "def handler(r, c) = {}", /middleware\[0\]: no method :nope/]
    }
    loader = load_project(cases.transform_values(&:first))
    assert_empty loader.steps
    got = loader.failures.to_h { |f| [f.file, f.message] }
    cases.each { |file, (_, pattern)| assert_match pattern, got.fetch(file), file }
  end

  def test_handler_arity_is_checked_at_load_for_the_step_type
    cases = {
      "steps/api3.step.rb" => ["def config = { type: 'api', name: 'a3', path: '/a' }\ndef handler(req, ctx, x) = {}",
                               /api step's handler takes 2 arguments: `def handler\(req, ctx\)`/],
      "steps/cron2.step.rb" => ["def config = { type: 'cron', name: 'c2', cron: '* * * * *' }\ndef handler(a, b) = nil",
                                /cron step's handler takes 1 argument: `def handler\(ctx\)`/],
      "steps/lambda3.step.rb" => ["CONFIG = { type: 'event', name: 'l3', subscribes: ['t'] }\n" \
                                  "HANDLER = ->(a, b, c) { nil }", /event step's handler takes 2 arguments/]
    }
    ok = {
      "steps/rest.step.rb" => "def config = { type: 'event', name: 'r', subscribes: ['t'] }\ndef handler(*args) = nil",
      "steps/opt.step.rb" => "def config = { type: 'cron', name: 'o', cron: '* * * * *' }\ndef handler(ctx, x = 1) = nil",
      "steps/proc.step.rb" => "CONFIG = { type: 'api', name: 'p', path: '/p' }\nHANDLER = proc { |r| {} }",
      "steps/fewer.step.rb" => "def config = { type: 'api', name: 'f', path: '/f' }\ndef handler(req) = {}"
    }
    loader = load_project(cases.transform_values(&:first).merge(ok))
    assert_equal %w[f o p r], loader.steps.map(&:name).sort
    got = loader.failures.to_h { |f| [f.file, f.message] }
    cases.each { |file, (_, pattern)| assert_match pattern, got.fetch(file), file }
  end

  def test_a_step_may_require_stephost_for_the_error_classes
    src = <<~RUBY
      require "stephost"
      def config = { type: "event", name: "e", subscribes: ["t"] }
      def handler(input, ctx) = raise(Stephost::NonRetryableError, "no")
    RUBY
    step = load_project("steps/e_step.rb" => src).steps.first
    assert_raises(Stephost::NonRetryableError) { step.run({}, nil) }
  end

  def test_noop_needs_no_handler
    step = load_project("steps/n.step.rb" => "CONFIG = { type: 'noop', name: 'n' }").steps.first
    assert_equal "noop", step.type
  end

  def test_duplicate_name_keeps_the_first_file
    loader = load_project("steps/a.step.rb" => CLASSIC_A, "steps/b.step.rb" => CLASSIC_A)
    assert_equal ["steps/a.step.rb"], loader.steps.map(&:file)
    assert_equal "steps/b.step.rb", loader.failures.first.file
    assert_match(/duplicate step name "a": steps\/a.step.rb already defines it/, loader.failures.first.message)
  end

  def test_handler_defined_on_object_by_a_library_is_not_taken
    files = {
      "steps/lib/legacy.rb" => "def legacy_handler_for_loader_test(i, c) = 1",
      "steps/l.step.rb" => "require_relative 'lib/legacy'\ndef config = { type: 'event', name: 'l', subscribes: ['t'] }"
    }
    loader = load_project(files)
    assert_match(/no handler/, loader.failures.first.message)
  end

  def test_middleware_is_dropped_from_the_manifest
    src = <<~RUBY
      def config = { type: "api", name: "m", path: "/m", middleware: [:mw, ->(r, c, n) { n.call }], flows: [] }
      def mw(req, ctx, nxt) = nxt.call
      def handler(req, ctx) = { status: 204 }
    RUBY
    step = load_project("steps/m.step.rb" => src).steps.first
    assert_equal({ "type" => "api", "name" => "m", "path" => "/m", "flows" => [] }, step.config)
  end
end
