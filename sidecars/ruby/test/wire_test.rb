# frozen_string_literal: true

require_relative "test_helper"

# The host lets JSON nest up to 256 levels (stephost_wire.codec.MAX_JSON_DEPTH);
# Ruby's parser and generator stop at 100 unless told otherwise.
class WireTest < Minitest::Test
  DEPTH = 256

  def nested(depth) = ("[" * depth) + ("]" * depth)

  def test_reads_and_writes_json_as_deep_as_the_host_accepts
    value = Stephost::Wire.parse(nested(DEPTH))
    depth = 0
    while value.is_a?(Array)
      depth += 1
      value = value.first
    end
    assert_equal DEPTH, depth
    assert_equal nested(DEPTH), Stephost::Wire.dump(Stephost::Wire.parse(nested(DEPTH)))
  end

  def test_deep_objects_keep_indifferent_access
    json = ('{"a":' * 150) + "1" + ("}" * 150)
    value = Stephost::Wire.parse(json)
    149.times { value = value[:a] }
    assert_equal 1, value["a"]
    assert_equal json, Stephost::Wire.dump(Stephost::Wire.parse(json))
  end

  # Wire.dump reuses one generator State per thread: a value that cannot
  # become JSON must fail alone, leaving the next dump (on this thread or
  # another) exactly what JSON.generate gives.
  def test_a_failed_dump_leaves_the_next_ones_intact
    value = { "a" => [1, { b: "x" }], "n" => nil, "s" => "é" }
    assert_equal JSON.generate(value), Stephost::Wire.dump(value)
    assert_raises(JSON::GeneratorError) { Stephost::Wire.dump({ "deep" => [{ "bad" => Float::NAN }] }) }
    assert_equal JSON.generate(value), Stephost::Wire.dump(value)
    assert_equal nested(DEPTH), Stephost::Wire.dump(Stephost::Wire.parse(nested(DEPTH)))
    other = Thread.new { [Stephost::Wire.dump(value), Thread.current[:stephost_json]] }.value
    assert_equal JSON.generate(value), other[0]
    refute_same Thread.current[:stephost_json], other[1]
  end
end
