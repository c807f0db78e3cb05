# frozen_string_literal: true

require_relative "test_helper"
require "open3"
require_relative "../lib/stephost/heap"

class HeapTest < Minitest::Test
  BIN = File.expand_path("../bin/stephost-sidecar-ruby", __dir__)

  # A project whose one step file reports, while it loads, the heap and the
  # setting the sidecar process runs with; `--check` loads it and exits.
  def probe(env = {})
    Dir.mktmpdir do |dir|
      FileUtils.mkdir_p(File.join(dir, "steps"))
      File.write(File.join(dir, "steps", "probe_step.rb"), <<~RUBY)
        warn "probe pid=\#{Process.pid} slots=\#{GC.stat(:heap_available_slots)} init=\#{ENV["RUBY_GC_HEAP_INIT_SLOTS"]}"
        def config = { "name" => "probe", "type" => "event", "subscribes" => ["t"], "emits" => [] }
        def handler(_input, _ctx) = nil
      RUBY
      _out, err, status = Open3.capture3(env, RbConfig.ruby, BIN, "--check", dir)
      assert status.success?, err
      pid, slots, init = err.match(/probe pid=(\d+) slots=(\d+) init=(\d*)/)&.captures
      assert pid, "the probe step did not load: #{err}"
      [pid.to_i, slots.to_i, init, status.pid]
    end
  end

  def test_the_sidecar_boots_with_its_heap_settings_in_the_same_process
    pid, slots, init, spawned = probe
    assert_equal Stephost::Heap::SETTINGS["RUBY_GC_HEAP_INIT_SLOTS"], init
    assert_operator slots, :>=, Integer(init) * 9 / 10 # whole heap pages: a few slots short of the setting
    assert_equal spawned, pid # executed itself in place: whoever started it still has its pid
  end

  def test_a_setting_in_the_environment_wins
    _pid, _slots, init, _spawned = probe("RUBY_GC_HEAP_INIT_SLOTS" => "20000")
    assert_equal "20000", init
  end
end
