'use strict'
// The runner layer: executes invocations, at most `capacity` at once (extras wait
// in a local queue), each through its step's handler (and middleware for api
// steps) or a project hook, answered with exactly one InvocationResult on the
// stream the invocation came from. It is also the one place where errors
// cross the wire: whatever a handler throws becomes a StepError here, and a
// StepError from the host becomes the Error a handler's host call rejects with.
const { performance } = require('node:perf_hooks')
const { createContext } = require('./context')
const { hookKey, invocationHookKey } = require('./hooks')
const { buildRequest, isBytesBody, isStreamBody, toBuffer } = require('./http')
const { ResponseStream, discard } = require('./response-stream')

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
 * errors.js) with `retryable = false` / `retryAfter` works the same.
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

/** The error result for an invocation naming a step (or hook) this sidecar does not have. */
function notFound(invocation) {
  const what = invocation.hook ? `hook '${invocation.hook}'${invocation.step ? ` for '${invocation.step}'` : ''}` : `step named '${invocation.step}'`
  return { type: 'StepNotFound', message: `no ${what} in this sidecar`, stack: '', retryable: true, retryAfterSeconds: 0 }
}

/** An api handler's return value -> {status, body, headers} with string header values. */
function normaliseResponse(response) {
  const isResponse = response !== null && typeof response === 'object' && !Array.isArray(response) &&
    ('status' in response || 'body' in response || 'headers' in response)
  // Anything else is taken as the body of a 200.
  if (!isResponse) return { status: 200, body: response === undefined ? null : response, headers: {} }
  let status = 200
  if (response.status !== undefined && response.status !== null) {
    status = Number(response.status)
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new TypeError(`api response status must be an HTTP status code, got ${JSON.stringify(response.status)}`)
    }
  }
  const headers = {}
  if (response.headers && typeof response.headers === 'object') {
    for (const name of Object.keys(response.headers)) {
      const value = response.headers[name]
      if (value === undefined || value === null) continue
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value)
    }
  }
  return { status, body: response.body === undefined ? null : response.body, headers }
}

/** Middleware `(req, ctx, next)` in order, then the handler; `next()` returns the rest's response. */
function runApi(step, req, ctx) {
  const { middleware, handler } = step
  const dispatch = async (index) =>
    index < middleware.length ? middleware[index](req, ctx, () => dispatch(index + 1)) : handler(req, ctx)
  return dispatch(0)
}

/**
 * A normalised api response -> its InvocationResult: JSON as always; a bytes
 * body in body_bytes (result_json keeps status and headers); a stream body is
 * handed back as `stream` for the runner to send in chunks.
 */
function apiResult(invocationId, response) {
  const { status, headers, body } = response
  if (isStreamBody(body)) return { invocationId, stream: response }
  if (isBytesBody(body)) {
    const bodyBytes = body instanceof ArrayBuffer ? Buffer.from(body) : toBuffer(body)
    return { invocationId, resultJson: JSON.stringify({ status, headers }), bodyBytes }
  }
  return { invocationId, resultJson: JSON.stringify(response) }
}

/** One invocation -> the InvocationResult to send (or, for a streamed api response, `stream`). Never rejects. */
async function runInvocation(step, invocation, ctx) {
  const invocationId = invocation.invocationId
  try {
    const payload = invocation.payloadJson ? JSON.parse(invocation.payloadJson) : null
    if (step.type === 'api') {
      return apiResult(invocationId, normaliseResponse(await runApi(step, buildRequest(payload, invocation), ctx)))
    }
    let value
    if (step.type === 'hook') value = await step.run(payload)
    else if (step.type === 'cron') value = await step.handler(ctx)
    else value = step.handler ? await step.handler(payload, ctx) : null
    const resultJson = JSON.stringify(value === undefined ? null : value)
    return { invocationId, resultJson: resultJson === undefined ? 'null' : resultJson }
  } catch (err) {
    return { invocationId, error: toStepError(err) }
  }
}

class Runner {
  /** `steps`: loaded steps (loader.js); `hooks`: project hooks (hooks.js); `log`: the sidecar log. */
  constructor({ steps, hooks = [], capacity, log }) {
    this.steps = new Map(steps.map((step) => [step.name, step]))
    // Project hooks (stream auth, stream access checks) run like steps, keyed apart from them.
    for (const hook of hooks) this.steps.set(hookKey(hook.name, hook.stream), { type: 'hook', run: hook.run })
    this.capacity = capacity
    this.log = log
    this.running = 0
    this.waiting = []
    this.draining = false
    this.idleWaiters = []
  }

  /** An Invocation arrived on `session`. */
  submit(session, invocation) {
    if (this.draining) return // shutting down: the host fails it when the stream closes
    if (this.running < this.capacity) this.start(session, invocation)
    else this.waiting.push({ session, invocation })
  }

  start(session, invocation) {
    const step = this.steps.get(invocationHookKey(invocation) || invocation.step)
    if (!step) {
      session.send({ result: { invocationId: invocation.invocationId, error: notFound(invocation) } })
      return
    }
    const slot = { session, invocation, released: false, started: this.log.debugEnabled ? performance.now() : 0 }
    session.inFlight.set(invocation.invocationId, slot)
    this.running++
    runInvocation(step, invocation, createContext(session, invocation, step.flows)).then((result) => this.finish(slot, result))
  }

  finish(slot, result) {
    // Released already: cancelled, or its stream died. The result has nowhere to go
    // (a stream body is closed unread, so a Readable's file or socket is freed).
    if (slot.released) {
      if (result.stream) discard(result.stream.body)
      return
    }
    if (result.stream) {
      this.stream(slot, result)
      return
    }
    slot.session.send({ result })
    if (this.log.debugEnabled) {
      this.log.debug('invocation', {
        step: slot.invocation.step, traceId: slot.invocation.traceId, attempt: slot.invocation.attempt,
        ms: Math.round((performance.now() - slot.started) * 100) / 100,
        outcome: result.error ? `error ${result.error.type}: ${result.error.message}` : result.streamed ? 'streamed' : 'ok',
      })
    }
    this.release(slot)
  }

  /**
   * Sends a streamed response's chunks, then the result that ends it. The
   * slot stays taken until then; after a cancel nothing more is sent.
   */
  stream(slot, { invocationId, stream: { status, headers, body } }) {
    const send = (message) => {
      if (!slot.released) slot.session.send(message)
    }
    slot.stream = new ResponseStream({ invocationId, status, headers, body, send })
    slot.stream.run().then(
      (ended) => ended && this.finish(slot, { invocationId, streamed: true }),
      (err) => this.finish(slot, { invocationId, error: toStepError(err) }),
    )
  }

  /** ChunkAck: chunks up to `seq` of a streamed response reached the client. */
  ack(session, invocationId, seq) {
    const slot = session.inFlight.get(invocationId)
    if (slot && slot.stream) slot.stream.ack(seq)
  }

  release(slot) {
    if (slot.released) return
    // A streamed response still producing: stop its body (the client is gone).
    if (slot.stream) slot.stream.cancel()
    slot.released = true
    slot.session.inFlight.delete(slot.invocation.invocationId)
    this.running--
    while (this.running < this.capacity && this.waiting.length > 0) {
      const next = this.waiting.shift()
      if (next.session.alive) this.start(next.session, next.invocation)
    }
    if (this.running === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  /**
   * The host gave up on an invocation. JS cannot stop a running promise, so
   * the handler runs on, but its slot is freed (the host already counts it as
   * done) and its result is dropped. A streamed response's body is stopped
   * (release), so a generator runs its `finally` and a Readable is destroyed.
   */
  cancel(session, invocationId) {
    const slot = session.inFlight.get(invocationId)
    if (slot) this.release(slot)
    else this.waiting = this.waiting.filter((w) => w.invocation.invocationId !== invocationId)
  }

  /** The stream died: its invocations are abandoned (the host has failed them already). */
  abandon(session) {
    for (const slot of [...session.inFlight.values()]) this.release(slot)
    this.waiting = this.waiting.filter((w) => w.session !== session)
  }

  /** Stop taking invocations; resolves when the running ones finished or after `timeoutMs`. */
  drain(timeoutMs) {
    this.draining = true
    this.waiting = []
    if (this.running === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      this.idleWaiters.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }
}

module.exports = { Runner, runInvocation, normaliseResponse, apiResult, toStepError, fromStepError, errorType }
