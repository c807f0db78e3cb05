'use strict'
// The error types a step author throws to steer retries. Kept free of
// dependencies so user code can require it cheaply (also as `stephost`).
// Turning what a handler throws into the wire's StepError is the runner's job
// (runner.js), which reads retry intent from properties, not these classes.

/** A failure that retrying cannot fix: the event goes straight to dead letters. */
class NonRetryableError extends Error {
  constructor(message, options) {
    super(message, options)
    this.name = 'NonRetryableError'
    this.retryable = false
  }
}

/** A failure worth retrying, optionally after `retryAfter` seconds. */
class RetryableError extends Error {
  constructor(message, retryAfter, options) {
    // Accept both `new RetryableError(msg, 5)` and `new RetryableError(msg, { retryAfter: 5 })`.
    if (retryAfter !== null && typeof retryAfter === 'object') {
      options = retryAfter
      retryAfter = retryAfter.retryAfter
    }
    super(message, options)
    this.name = 'RetryableError'
    this.retryable = true
    this.retryAfter = Number(retryAfter) > 0 ? Number(retryAfter) : 0
  }
}

module.exports = { NonRetryableError, RetryableError }
