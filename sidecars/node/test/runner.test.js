'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Runner, runInvocation, normaliseResponse } = require('../src/runner')
const { createContext } = require('../src/context')
const { NonRetryableError } = require('../src/errors')
const { FakeSession, quietLog, tick } = require('./helpers')

const apiPayload = (extra = {}) => JSON.stringify({ method: 'GET', path: '/x', body: null, headers: {}, pathParams: {}, queryParams: {}, ...extra })

function run(step, payloadJson, session = new FakeSession()) {
  const invocation = { invocationId: 'i1', step: step.name, traceId: 't1', payloadJson }
  return runInvocation({ middleware: [], ...step }, invocation, createContext(session, invocation))
}

test('api responses are normalised to {status, body, headers}', () => {
  assert.deepEqual(normaliseResponse({ status: 201, body: { a: 1 }, headers: { 'x-n': 5, 'x-l': ['a', 'b'], 'x-u': undefined } }),
    { status: 201, body: { a: 1 }, headers: { 'x-n': '5', 'x-l': 'a, b' } })
  assert.deepEqual(normaliseResponse({ body: 'x' }), { status: 200, body: 'x', headers: {} })
  assert.deepEqual(normaliseResponse({ status: 204 }), { status: 204, body: null, headers: {} })
  assert.deepEqual(normaliseResponse(undefined), { status: 200, body: null, headers: {} })
  assert.deepEqual(normaliseResponse({ ok: true }), { status: 200, body: { ok: true }, headers: {} })
  assert.throws(() => normaliseResponse({ status: 'teapot' }), /HTTP status code/)
})

test('api handler gets (req, ctx); event (input, ctx); cron (ctx)', async () => {
  const api = await run({ name: 'a', type: 'api', handler: (req, ctx) => ({ status: 200, body: [req.pathParams.id, ctx.traceId] }) },
    apiPayload({ pathParams: { id: '7' } }))
  assert.deepEqual(JSON.parse(api.resultJson), { status: 200, body: ['7', 't1'], headers: {} })
  const event = await run({ name: 'e', type: 'event', handler: (input, ctx) => ({ got: input, trace: ctx.traceId }) }, '{"n":1}')
  assert.deepEqual(JSON.parse(event.resultJson), { got: { n: 1 }, trace: 't1' })
  const cron = await run({ name: 'c', type: 'cron', handler: (ctx) => ctx.traceId }, 'null')
  assert.equal(cron.resultJson, '"t1"')
  const nothing = await run({ name: 'e', type: 'event', handler: () => undefined }, '1')
  assert.equal(nothing.resultJson, 'null')
  assert.equal(nothing.invocationId, 'i1')
})

test('middleware runs in order, can short-circuit, decorate the response and pass data on req', async () => {
  const order = []
  const auth = async (req, ctx, next) => {
    order.push('auth')
    if (req.headers['x-token'] !== 'ok') return { status: 401, body: { error: 'no token' } }
    req.user = 'ada'
    return next()
  }
  const stamp = async (req, ctx, next) => {
    order.push('stamp')
    const res = await next()
    return { ...res, headers: { ...res.headers, 'x-mw': 'stamped' } }
  }
  const step = { name: 'g', type: 'api', middleware: [auth, stamp], handler: (req) => { order.push('handler'); return { status: 200, body: { user: req.user } } } }
  const denied = await run(step, apiPayload())
  assert.deepEqual(JSON.parse(denied.resultJson), { status: 401, body: { error: 'no token' }, headers: {} })
  assert.deepEqual(order, ['auth'])
  const allowed = await run(step, apiPayload({ headers: { 'x-token': 'ok' } }))
  assert.deepEqual(JSON.parse(allowed.resultJson), { status: 200, body: { user: 'ada' }, headers: { 'x-mw': 'stamped' } })
  assert.deepEqual(order, ['auth', 'auth', 'stamp', 'handler'])
})

test('thrown errors (sync, async, in middleware, unserialisable results) become StepErrors', async () => {
  const sync = await run({ name: 'e', type: 'event', handler: () => { throw new TypeError('sync') } }, '1')
  assert.deepEqual([sync.error.type, sync.error.message, sync.error.retryable], ['TypeError', 'sync', true])
  assert.equal(sync.resultJson, undefined)
  const fatal = await run({ name: 'e', type: 'event', handler: async () => { throw new NonRetryableError('never') } }, '1')
  assert.equal(fatal.error.retryable, false)
  const mw = await run({ name: 'a', type: 'api', middleware: [() => { throw new RangeError('mw') }], handler: () => ({}) }, apiPayload())
  assert.equal(mw.error.type, 'RangeError')
  const big = await run({ name: 'e', type: 'event', handler: () => 10n }, '1')
  assert.equal(big.error.type, 'TypeError')
})

function runner(capacity, handler) {
  return new Runner({ steps: [{ name: 's', type: 'event', handler, middleware: [] }], capacity, log: quietLog })
}
const inv = (id) => ({ invocationId: id, step: 's', traceId: 't', payloadJson: '{}' })

test('at most capacity run at once; the rest wait and run as slots free', async () => {
  let running = 0
  let peak = 0
  const gates = []
  const inv5 = runner(2, () => new Promise((resolve) => {
    running++
    peak = Math.max(peak, running)
    gates.push(() => { running--; resolve() })
  }))
  const session = new FakeSession()
  for (let i = 0; i < 5; i++) inv5.submit(session, inv(`i${i}`))
  await tick()
  assert.equal(running, 2)
  assert.equal(session.inFlight.size, 2)
  while (gates.length) {
    gates.shift()()
    await tick()
  }
  await tick()
  assert.equal(peak, 2)
  assert.deepEqual(session.sent.map((m) => m.result.invocationId), ['i0', 'i1', 'i2', 'i3', 'i4'])
  assert.equal(inv5.running, 0)
})

test('cancel frees the slot and drops the late result; unknown steps answer with an error', async () => {
  let release
  const i = runner(1, () => new Promise((resolve) => { release = resolve }))
  const session = new FakeSession()
  i.submit(session, inv('slow'))
  i.submit(session, inv('next'))
  i.cancel(session, 'slow')
  await tick()
  assert.equal(session.inFlight.has('next'), true)
  release()
  await tick()
  assert.deepEqual(session.sent.map((m) => m.result.invocationId), ['next'])
  i.submit(session, { invocationId: 'x', step: 'nope', payloadJson: 'null' })
  assert.equal(session.sent[1].result.error.type, 'StepNotFound')
})

test('abandon drops a dead stream\'s work; drain waits for running invocations, bounded', async () => {
  let release
  const i = runner(1, () => new Promise((resolve) => { release = resolve }))
  const dead = new FakeSession()
  i.submit(dead, inv('a'))
  i.submit(dead, inv('b'))
  dead.alive = false
  i.abandon(dead)
  assert.equal(i.running, 0)
  assert.equal(i.waiting.length, 0)
  release()
  await tick()
  assert.deepEqual(dead.sent, [])

  const live = new FakeSession()
  i.submit(live, inv('c'))
  const drained = i.drain(5000)
  i.submit(live, inv('ignored'))
  release()
  assert.equal(await drained, true)
  await tick()
  assert.deepEqual(live.sent.map((m) => m.result.invocationId), ['c'])

  const stuck = runner(1, () => new Promise(() => {}))
  stuck.submit(live, inv('forever'))
  assert.equal(await stuck.drain(20), false)
})
