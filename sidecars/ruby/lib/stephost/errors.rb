# frozen_string_literal: true

module Stephost
  # Base of every error the SDK defines, so `rescue Stephost::Error` catches
  # them all without also swallowing unrelated StandardErrors.
  class Error < StandardError; end

  # Raise from a handler when retrying cannot help (bad input, a business
  # rule said no): the host skips the remaining retries and dead-letters the
  # event. Every other error is retried up to the step's maxRetries.
  class NonRetryableError < Error; end

  # Raise from a handler to be retried after a specific delay, e.g. when an
  # upstream API answered 429 with Retry-After.
  #
  #   raise Stephost::RetryableError.new("rate limited", retry_after: 30)
  class RetryableError < Error
    # Seconds the host should wait before the next attempt (nil: its default).
    attr_reader :retry_after

    # `retryAfter:` is accepted too because that is how the Node and Python
    # SDKs spell it, and step authors copy examples across languages.
    def initialize(message = nil, retry_after: nil, retryAfter: nil) # rubocop:disable Naming/VariableName
      super(message)
      @retry_after = retry_after || retryAfter
    end
    alias retryAfter retry_after
  end

  # A call into the host (emit, state, streams) failed on the host's side.
  # `type` is the remote error's class name (the host is Python, so e.g.
  # "ValueError"); the message is the host's, unparsed.
  class HostError < Error
    attr_reader :type, :retryable

    def initialize(message, type: nil, retryable: true)
      super(message)
      @type = type
      @retryable = retryable
    end
  end

  # The stream to the host died while a handler was waiting on a host call;
  # the invocation is abandoned (the host has already failed it and the
  # queue will redeliver the event).
  class ConnectionLostError < Error; end

  # Delivered into a handler's thread (Thread#raise) when the host cancels
  # the invocation, like Timeout::Error is. It descends from Exception, not
  # StandardError, so a handler's bare `rescue => e` cannot swallow it and
  # keep a slot busy after the host has given up.
  class Cancelled < Exception # rubocop:disable Lint/InheritException
  end
end
