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
end
