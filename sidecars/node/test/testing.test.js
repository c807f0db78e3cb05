'use strict'
// The mock context of stephost/testing: recorders with .calls and in-memory state/streams.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { createMockContext, createMotiaTester, createTester } = require('../src/testing')

test('the mock context records emits and logs', async () => {
  const ctx = createMockContext({ traceId: 't-1', flows: ['orders'] })
  await ctx.emit({ topic: 'a', data: { n: 1 } })
  ctx.logger.warn('careful', { n: 1 })
  assert.deepEqual(ctx.emit.calls, [[{ topic: 'a', data: { n: 1 } }]])
  assert.deepEqual(ctx.logger.warn.calls, [['careful', { n: 1 }]])
  assert.deepEqual(ctx.logger.info.calls, [])
  assert.equal(ctx.traceId, 't-1')
  assert.deepEqual(ctx.flows, ['orders'])
  assert.equal(createMotiaTester, createTester)
})

test('state and streams keep copies in memory', async () => {
  const ctx = createMockContext()
  const value = { items: [1] }
  await ctx.state.set('g', 'k', value)
  value.items.push(2) // a later change to the caller's object is not stored
  assert.deepEqual(await ctx.state.get('g', 'k'), { items: [1] })
  assert.equal(await ctx.state.get('g', 'missing'), null)
  assert.deepEqual(await ctx.state.getGroup('g'), [{ items: [1] }])
  await ctx.state.clear('g')
  assert.deepEqual(await ctx.state.getGroup('g'), [])
  assert.deepEqual(await ctx.streams.todo.set('u1', 'i1', { text: 'x' }), { text: 'x', id: 'i1' })
  assert.deepEqual(await ctx.streams.todo.getGroup('u1'), [{ text: 'x', id: 'i1' }])
  await ctx.streams.todo.send({ groupId: 'u1' }, { type: 'ping', data: {} })
  assert.deepEqual(ctx.streams.todo.sent, [[{ groupId: 'u1' }, { type: 'ping', data: {} }]])
})

test('a tester on a missing folder says which', () => {
  assert.throws(() => createTester('/no/such/project'), /project folder \/no\/such\/project does not exist/)
})
