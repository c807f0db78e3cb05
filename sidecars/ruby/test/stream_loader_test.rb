# frozen_string_literal: true

require_relative "test_helper"

# Stream definition files (*.stream.rb, *_stream.rb): discovery, the
# StreamManifest the hello carries, and load errors.
class StreamLoaderTest < Minitest::Test
  include StephostTest::Project

  TODO = <<~RUBY
    def config
      {
        name: "todo",
        schema: { type: "object", properties: { text: { type: :string } }, required: ["text"] },
        baseConfig: { storageType: "default" }
      }
    end
  RUBY

  STEP = "def config = { type: 'event', name: 'todo', subscribes: ['t'] }\ndef handler(i, c) = nil\n"

  def test_discovers_both_suffixes_recursively_in_sorted_order_and_skips_dirs
    files = {
      "steps/todo.stream.rb" => TODO,
      "steps/deep/er/chat_stream.rb" => TODO,
      "src/a.stream.rb" => TODO,
      "steps/node_modules/x.stream.rb" => "raise 'no'",
      "steps/.hidden/x_stream.rb" => "raise 'no'",
      "steps/__pycache__/x.stream.rb" => "raise 'no'",
      "steps/streaming.rb" => "raise 'no'",
      "other/b.stream.rb" => "raise 'no'",
      "steps/s.step.rb" => STEP
    }
    with_project(files) do |dir|
      loader = Stephost::Loader.new(dir)
      assert_equal %w[src/a.stream.rb steps/deep/er/chat_stream.rb steps/todo.stream.rb], loader.discover_streams
      assert_equal %w[steps/s.step.rb], loader.discover, "stream files must not be taken for step files"
    end
  end

  def test_manifest_carries_the_config_as_json
    loader = load_project("steps/todo.stream.rb" => TODO, "steps/todo.step.rb" => STEP)
    assert_empty loader.failures
    assert_equal %w[todo], loader.steps.map(&:name), "a stream may share a step's name"
    manifest = loader.streams.first.manifest
    assert_instance_of Stephost::V1::StreamManifest, manifest
    assert_equal ["todo", "steps/todo.stream.rb"], [manifest.name, manifest.file]
    assert_equal({ "name" => "todo",
                   "schema" => { "type" => "object", "properties" => { "text" => { "type" => "string" } },
                                 "required" => ["text"] },
                   "baseConfig" => { "storageType" => "default" } },
                 JSON.parse(manifest.config_json))
  end

  def test_constant_style_string_keys_and_functions_dropped
    src = <<~RUBY
      CONFIG = { "name" => "chat", "schema" => { "type" => "object" }, "onJoin" => ->(x) { x } }.freeze
    RUBY
    stream = load_project("src/rooms/chat_stream.rb" => src).streams.first
    assert_equal "src/rooms/chat_stream.rb", stream.file
    assert_equal({ "name" => "chat", "schema" => { "type" => "object" } }, JSON.parse(stream.manifest.config_json))
    refute stream.can_access
  end

  def test_can_access_is_recorded_not_called_at_load
    cases = {
      "steps/m.stream.rb" => "def config = { name: 'm', schema: {} }\n" \
                             "def can_access(subscription, auth_context) = raise('must not be called')\n",
      "steps/c.stream.rb" => "CONFIG = { name: 'c', schema: {} }\nCAN_ACCESS = ->(sub, auth) { raise 'no' }\n",
      "steps/k.stream.rb" => "def config = { name: 'k', schema: {}, canAccess: ->(sub, auth) { true } }\n"
    }
    loader = load_project(cases)
    assert_empty loader.failures
    loader.streams.each do |s|
      assert_equal true, JSON.parse(s.manifest.config_json)["canAccess"], s.file
      assert_respond_to s.can_access, :call
    end
    assert_equal %w[c k m], loader.streams.map(&:name)
  end

  def test_each_file_gets_its_own_namespace
    src = ->(name) { "SCHEMA = { type: 'object', title: '#{name}' }.freeze\ndef config = { name: '#{name}', schema: SCHEMA }\n" }
    loader = load_project("steps/a.stream.rb" => src.("a"), "steps/b.stream.rb" => src.("b"))
    assert_equal %w[a b], loader.streams.map { |s| s.config.dig("schema", "title") }
    refute Object.const_defined?(:SCHEMA)
    refute Object.private_method_defined?(:config), "stream methods must not leak onto Object"
  end

  def test_load_failures_name_the_file_and_the_problem
    cases = {
      "steps/broken.stream.rb" => ["def config = { name: 'x'\n", /\ASyntaxError: steps\/broken.stream.rb:\d+: /],
      "steps/raises_stream.rb" => ["raise ArgumentError, 'bad env'", /\AArgumentError: bad env\z/],
      "steps/noconfig.stream.rb" => ["X = 1", /no config/],
      "steps/array.stream.rb" => ["def config = []", /config must be a Hash, got Array/],
      "steps/noname.stream.rb" => ["def config = { schema: {} }", /config.name must be a non-empty String, got nothing/],
      "steps/intname.stream.rb" => ["def config = { name: 1, schema: {} }", /config.name must be a non-empty String, got 1/],
      "steps/noschema.stream.rb" => ["def config = { name: 'n' }", /config.schema must be a JSON Schema Hash, got nothing/],
      "steps/badschema.stream.rb" => ["def config = { name: 'n', schema: 'x' }", /config.schema must be a JSON Schema Hash, got String/],
      "steps/badaccess.stream.rb" => ["CONFIG = { name: 'a', schema: {} }\nCAN_ACCESS = true",
                                      /CAN_ACCESS must respond to #call, got TrueClass/]
    }
    loader = load_project(cases.transform_values(&:first).merge("steps/ok.stream.rb" => TODO))
    assert_equal %w[todo], loader.streams.map(&:name), "the other files still load"
    got = loader.failures.to_h { |f| [f.file, f.message] }
    assert_equal cases.keys.sort, got.keys.sort
    cases.each do |file, (_, pattern)|
      assert_match pattern, got.fetch(file), file
      refute_includes got.fetch(file), "\n", file
    end
    assert_equal "steps/broken.stream.rb", loader.failures.find { |f| f.file.include?("broken") }.to_proto.file
  end

  def test_duplicate_name_keeps_the_first_file
    loader = load_project("steps/a.stream.rb" => TODO, "steps/b_stream.rb" => TODO)
    assert_equal ["steps/a.stream.rb"], loader.streams.map(&:file)
    failure = loader.failures.first
    assert_equal "steps/b_stream.rb", failure.file
    assert_match(/duplicate stream name "todo": steps\/a.stream.rb already defines it/, failure.message)
  end
end
