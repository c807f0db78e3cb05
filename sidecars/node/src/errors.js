'use strict'
// The error types a step author throws to steer retries, and the one function
// that turns anything a handler throws into the wire's StepError. Kept free of
// dependencies so user code can require it cheaply (also as `stephost`).

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

/**
 * The class name of what was thrown. The constructor name is the truth for
 * subclasses that never set `name`; `name` covers plain Errors carrying a
 * remote type (errors raised by a HostCall keep the host's type there).
 */
function errorType(err) {
  const ctor = err.constructor && err.constructor.name
  if (ctor && ctor !== 'Error' && ctor !== 'Object') return ctor
  return typeof err.name === 'string' && err.name ? err.name : 'Error'
}

/**
 * Anything thrown -> StepError. Retry intent is read from properties, not
 * classes, so an error class of the user's own (or one from another copy of
 * this module) with `retryable = false` / `retryAfter` works the same.
 */
function toStepError(err) {
  if (!(err instanceof Error) && (err === null || typeof err !== 'object' || typeof err.message !== 'string')) {
    // `throw 'text'` or `throw 42`: no class, no stack.
    return { type: 'Error', message: String(err), stack: '', retryable: true, retryAfterSeconds: 0 }
  }
  const retryAfter = Number(err.retryAfter)
  return {
    type: errorType(err),
    message: String(err.message),
    stack: typeof err.stack === 'string' ? err.stack : '',
    retryable: err.retryable !== false,
    retryAfterSeconds: retryAfter > 0 ? retryAfter : 0,
  }
}

/** StepError from the host (a failed HostCall) -> an Error to reject with. */
function fromStepError(stepError) {
  const err = new Error(stepError.message || 'host call failed')
  if (stepError.type) err.name = stepError.type
  if (stepError.retryable === false) err.retryable = false
  if (stepError.retryAfterSeconds > 0) err.retryAfter = stepError.retryAfterSeconds
  return err
}

module.exports = { NonRetryableError, RetryableError, toStepError, fromStepError, errorType }
