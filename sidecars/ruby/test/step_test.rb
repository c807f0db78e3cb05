# frozen_string_literal: true

require_relative "test_helper"

class StepTest < Minitest::Test
  def api_step(handler, middleware: [])
    Stephost::Step.new(file: "steps/x.step.rb", config: { "name" => "x", "type" => "api" }, handler: handler,
                       middleware: middleware)
  end

  def run_api(step, payload = { "headers" => {}, "body" => nil })
    JSON.parse(step.run(Stephost::Wire.parse(JSON.generate(payload)), :ctx))
  end

  def test_response_normalised_from_symbol_or_string_keys
    assert_equal({ "status" => 201, "body" => { "a" => 1 }, "headers" => { "x-n" => "1" } },
                 run_api(api_step(->(_r, _c) { { status: 201, body: { a: 1 }, headers: { "x-n": 1 } } })))
    assert_equal({ "status" => 200, "body" => "hi", "headers" => {} },
                 run_api(api_step(->(_r, _c) { { "body" => "hi" } })))
  end

  def test_anything_that_is_not_a_response_is_the_body_of_a_200
    assert_equal({ "status" => 200, "body" => "plain", "headers" => {} }, run_api(api_step(->(_r, _c) { "plain" })))
    assert_equal({ "status" => 200, "body" => { "a" => 1 }, "headers" => {} },
                 run_api(api_step(->(_r, _c) { { a: 1 } })))
    assert_equal({ "status" => 200, "body" => nil, "headers" => {} }, run_api(api_step(->(_r, _c) {})))
  end

  def test_bad_status_or_headers_are_type_errors
    err = assert_raises(TypeError) { run_api(api_step(->(_r, _c) { { status: "200" } })) }
    assert_match(/status must be an Integer from 100 to 599, got "200"/, err.message)
    assert_raises(TypeError) { run_api(api_step(->(_r, _c) { { status: 99 } })) }
    assert_raises(TypeError) { run_api(api_step(->(_r, _c) { { status: 200, headers: [] } })) }
  end

  def test_request_is_indifferent_and_carries_middleware_data
    order = []
    auth = lambda do |req, _ctx, nxt|
      order << :auth
      req[:user] = "u1"
      nxt.call
    end
    stamp = lambda do |_req, _ctx, nxt|
      order << :stamp
      res = nxt.call
      res[:headers]["x-mw"] = "stamped"
      res
    end
    handler = lambda do |req, _ctx|
      order << :handler
      { status: 200, body: { user: req["user"], id: req[:path_params][:id] } }
    end
    out = run_api(api_step(handler, middleware: [auth, stamp]), { "pathParams" => { "id" => "9" }, "headers" => {} })
    assert_equal({ "status" => 200, "body" => { "user" => "u1", "id" => "9" }, "headers" => { "x-mw" => "stamped" } }, out)
    assert_equal %i[auth stamp handler], order
  end

  def test_middleware_short_circuit_skips_the_rest
    deny = ->(_req, _ctx, _nxt) { { status: 401, body: { error: "no" } } }
    never = ->(_r, _c) { flunk "handler must not run" }
    assert_equal 401, run_api(api_step(never, middleware: [deny]))["status"]
  end

  def test_handlers_may_declare_fewer_parameters
    assert_equal "Stephost::Request", run_api(api_step(->(req) { { status: 200, body: req.class.name } }))["body"]
    step = Stephost::Step.new(file: "f", config: { "name" => "c", "type" => "cron" }, handler: -> { 5 })
    assert_equal "5", step.run(nil, :ctx)
  end

  def test_event_return_values_that_are_not_json_become_null
    step = Stephost::Step.new(file: "f", config: { "name" => "e", "type" => "event" },
                              handler: ->(_i, _c) { Float::NAN })
    assert_equal "null", step.run({}, :ctx)
  end
end
