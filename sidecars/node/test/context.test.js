'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { createContext } = require('../src/context')
const { FakeSession } = require('./helpers')

const invocation = { invocationId: 'inv-1', step: 'my-step', traceId: 'trace-1', attempt: 2, topic: '' }

test('ctx carries step, topic (null outside event steps), traceId and attempt, all destructurable', () => {
  const { step, topic, traceId, attempt } = createContext(new FakeSession(), invocation)
  assert.deepEqual({ step, topic, traceId, attempt }, { step: 'my-step', topic: null, traceId: 'trace-1', attempt: 2 })
  const event = createContext(new FakeSession(), { ...invocation, topic: 'order.created', attempt: 1 })
  assert.deepEqual([event.topic, event.attempt], ['order.created', 1])
})

test("ctx.flows is the step config's flows (empty when it has none)", () => {
  assert.deepEqual(createContext(new FakeSession(), invocation, ['orders', 'billing']).flows, ['orders', 'billing'])
  assert.deepEqual(createContext(new FakeSession(), invocation).flows, [])
})

test('logger.child records carry its fields under each call\'s own; children nest', () => {
  const session = new FakeSession()
  const { logger } = createContext(session, invocation)
  const child = logger.child({ probe: 'api', n: 1 })
  child.info('one')
  child.info('two', { n: 2, lang: 'node' })
  child.child({ deeper: true }).warn('three')
  logger.info('plain')
  assert.deepEqual(session.logs.map((r) => [r.level, r.message, r.fieldsJson && JSON.parse(r.fieldsJson)]), [
    ['info', 'one', { probe: 'api', n: 1 }],
    ['info', 'two', { probe: 'api', n: 2, lang: 'node' }],
    ['warn', 'three', { probe: 'api', n: 1, deeper: true }],
    ['info', 'plain', ''],
  ])
})

test('destructured emit/state/logger work without `this`', async () => {
  const session = new FakeSession((op) => (op.state && op.state.op === 'GET' ? '{"n":1}' : 'null'))
  const { emit, state, logger, traceId } = createContext(session, invocation)
  assert.equal(traceId, 'trace-1')
  assert.equal(await emit({ topic: 'a.b', data: { x: 1 } }), undefined)
  assert.deepEqual(await state.get('g', 'k'), { n: 1 })
  logger.info('hello', { user: 'ada' })
  assert.deepEqual(session.calls[0], { invocationId: 'inv-1', emit: { topic: 'a.b', dataJson: '{"x":1}' } })
  assert.deepEqual(session.calls[1], { invocationId: 'inv-1', state: { op: 'GET', group: 'g', key: 'k' } })
  assert.equal(session.logs[0].level, 'info')
  assert.equal(session.logs[0].message, 'hello')
  assert.equal(session.logs[0].fieldsJson, '{"user":"ada"}')
  assert.equal(session.logs[0].invocationId, 'inv-1')
})

test('emit: messageGroupId only when given; undefined data is null; a topic is required', async () => {
  const session = new FakeSession()
  const ctx = createContext(session, invocation)
  await ctx.emit({ topic: 't', data: undefined, messageGroupId: 'g1' })
  await ctx.emit({ topic: 't', data: 0, messageGroupId: undefined })
  assert.deepEqual(session.calls.map((c) => c.emit), [
    { topic: 't', dataJson: 'null', messageGroupId: 'g1' },
    { topic: 't', dataJson: '0' },
  ])
  await assert.rejects(ctx.emit({ data: 1 }), TypeError)
  await assert.rejects(ctx.emit(), TypeError)
})

test('every state method sends its op and returns the parsed result', async () => {
  const session = new FakeSession((op) => ({ SET: op.state.valueJson, GET: 'null', DELETE: '"old"', GET_GROUP: '[1,2]', CLEAR: 'null' })[op.state.op])
  const { state } = createContext(session, invocation)
  assert.deepEqual(await state.set('g', 'k', { v: [1] }), { v: [1] })
  assert.equal(await state.get('g', 'k'), null)
  assert.equal(await state.delete('g', 'k'), 'old')
  assert.deepEqual(await state.getGroup('g'), [1, 2])
  assert.equal(await state.clear('g'), undefined)
  assert.deepEqual(session.calls.map((c) => c.state), [
    { op: 'SET', group: 'g', key: 'k', valueJson: '{"v":[1]}' },
    { op: 'GET', group: 'g', key: 'k' },
    { op: 'DELETE', group: 'g', key: 'k' },
    { op: 'GET_GROUP', group: 'g' },
    { op: 'CLEAR', group: 'g' },
  ])
  await assert.rejects(state.get('', 'k'), /state group must be a non-empty string/)
  await assert.rejects(state.get('g', 5), /state key/)
})

test('a failed host call rejects in the handler', async () => {
  const session = new FakeSession(() => {
    throw Object.assign(new Error('stream lost'), { name: 'StreamLost' })
  })
  const { emit } = createContext(session, invocation)
  await assert.rejects(emit({ topic: 't', data: 1 }), { name: 'StreamLost' })
})

test('logger: all levels, errors in fields keep their message, child loggers merge fields, bad fields never throw', () => {
  const session = new FakeSession()
  const { logger } = createContext(session, invocation)
  logger.debug('d')
  logger.warn('w', { err: new Error('kaput') })
  logger.error('e', 'not an object')
  logger.child({ component: 'billing' }).info('c', { n: 1 })
  const loop = {}
  loop.loop = loop
  logger.info('circular', loop)
  const [d, w, e, c, circular] = session.logs
  assert.deepEqual([d.level, d.fieldsJson], ['debug', ''])
  assert.equal(JSON.parse(w.fieldsJson).err.message, 'kaput')
  assert.deepEqual(JSON.parse(e.fieldsJson), { value: 'not an object' })
  assert.deepEqual(JSON.parse(c.fieldsJson), { component: 'billing', n: 1 })
  assert.match(JSON.parse(circular.fieldsJson).unserialisableFields, /circular/)
  assert.ok(session.logs.every((r) => typeof r.timeUnixMs === 'number'))
})

test('streams: ctx.streams.<name> sends StreamCalls', async () => {
  const session = new FakeSession((op) => (op.stream.op === 'SET' ? '{"id":"1","text":"x"}' : 'null'))
  const { streams } = createContext(session, invocation)
  assert.deepEqual(await streams.todo.set('g', '1', { text: 'x' }), { id: '1', text: 'x' })
  assert.equal(await streams.todo.get('g', '1'), null)
  await streams.todo.send({ groupId: 'g' }, { type: 'ping', data: { a: 1 } })
  assert.deepEqual(session.calls.map((c) => c.stream), [
    { op: 'SET', stream: 'todo', groupId: 'g', id: '1', dataJson: '{"text":"x"}' },
    { op: 'GET', stream: 'todo', groupId: 'g', id: '1' },
    { op: 'SEND', stream: 'todo', groupId: 'g', dataJson: '{"type":"ping","data":{"a":1}}' },
  ])
})
