# frozen_string_literal: true

require_relative "test_helper"

class IndifferentHashTest < Minitest::Test
  def parse(json) = Stephost::Wire.parse(json)

  def test_string_and_symbol_access_at_every_depth
    h = parse('{"user":{"name":"ada","tags":[{"k":1}]}}')
    assert_equal "ada", h[:user][:name]
    assert_equal "ada", h["user"]["name"]
    assert_equal 1, h.dig(:user, :tags, 0, :k)
    assert_equal "ada", h.fetch(:user).fetch(:name)
    assert h.key?(:user)
    assert_equal %w[user], h.keys
  end

  def test_compares_equal_to_a_plain_string_keyed_hash
    assert_equal({ "a" => 1 }, parse('{"a":1}'))
  end

  def test_symbol_writes_are_stored_as_strings
    h = Stephost::IndifferentHash.new
    h[:user] = "x"
    h.update(id: 1)
    assert_equal({ "user" => "x", "id" => 1 }, h)
    assert_equal({ "user" => "x", "id" => 1, "z" => 2 }, h.merge(z: 2))
    assert_equal 1, h.delete(:id)
  end

  def test_pattern_matching_with_symbol_keys
    case parse('{"id":"7","value":3}')
    in { id: String => id, value: Integer => value }
      assert_equal ["7", 3], [id, value]
    end
  end

  def test_generates_json
    assert_equal '{"a":{"b":[1]}}', JSON.generate(parse('{"a":{"b":[1]}}'))
  end

  def test_request_readers_and_snake_case_aliases
    req = Stephost::Request[parse('{"body":{"n":1},"pathParams":{"id":"4"},"queryParams":{},"method":"GET",' \
                                  '"path":"/x","headers":{"x-a":"b"}}')]
    assert_equal "4", req[:path_params][:id]
    assert_equal "4", req.path_params[:id]
    assert_equal "4", req.pathParams["id"]
    assert_equal 1, req.body[:n]
    assert_equal "GET", req.http_method
    assert_equal "b", req.headers["x-a"]
    assert_kind_of Method, req.method(:body) # Object#method still works
  end

  def test_parse_handles_unset_and_null
    assert_nil Stephost::Wire.parse("")
    assert_nil Stephost::Wire.parse("null")
    assert_equal [1], Stephost::Wire.parse("[1]")
  end
end
