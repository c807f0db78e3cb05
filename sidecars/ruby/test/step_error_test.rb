# frozen_string_literal: true

require_relative "test_helper"

class StepErrorTest < Minitest::Test
  def error_for
    yield
  rescue Exception => e # rubocop:disable Lint/RescueException
    Stephost::Runner.step_error(e)
  end

  def test_plain_errors_are_retryable_with_their_class_name
    err = error_for { raise ArgumentError, "bad" }
    assert_equal ["ArgumentError", "bad", true, 0.0], [err.type, err.message, err.retryable, err.retry_after_seconds]
    assert_match(/step_error_test.rb:\d+:in .*: bad \(ArgumentError\)/, err.stack)
    refute_match(%r{sidecars/ruby/lib}, err.stack)
  end

  def test_non_retryable_and_retry_after
    err = error_for { raise Stephost::NonRetryableError, "never" }
    assert_equal ["NonRetryableError", false], [err.type, err.retryable]
    err = error_for { raise Stephost::RetryableError.new("later", retry_after: 2.5) }
    assert_equal ["RetryableError", true, 2.5], [err.type, err.retryable, err.retry_after_seconds]
    assert_equal 3, Stephost::RetryableError.new("x", retryAfter: 3).retry_after
  end

  def test_subclasses_of_sdk_errors_keep_their_semantics
    klass = Class.new(Stephost::NonRetryableError)
    err = error_for { raise klass, "anon" }
    assert_equal ["NonRetryableError", false], [err.type, err.retryable]
  end

  def test_namespaced_class_names_lose_their_namespace
    assert_equal "ConnectionLostError", error_for { raise Stephost::ConnectionLostError, "x" }.type
  end

  def test_cause_chain_is_in_the_stack
    err = error_for do
      begin
        raise KeyError, "inner"
      rescue KeyError
        raise "outer"
      end
    end
    assert_match(/outer \(RuntimeError\).*Caused by: .*inner \(KeyError\)/m, err.stack)
  end
end
