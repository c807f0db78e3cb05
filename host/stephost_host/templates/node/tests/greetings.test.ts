// `npm test`: the whole flow on a real host, then each handler alone with a mock context.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createMockContext, createTester } from 'stephost/testing'
import { handler as countGreetings } from '../steps/count-greetings.step.js'
import { handler as createGreeting } from '../steps/create-greeting.step.js'
import { handler as sendGreeting } from '../steps/send-greeting.step.js'

const project = fileURLToPath(new URL('..', import.meta.url))
let tester
before(() => {
  tester = createTester(project) // stephost dev on free ports, with its own NATS
})
after(() => tester.close())

test('a greeting goes through the whole flow', async () => {
  const sent = await tester.watch('greeting.sent')
  const r = await tester.post('/greetings', { body: { name: 'Ada' } })
  assert.equal(r.status, 202)
  await tester.waitEvents()
  assert.deepEqual(sent.getCapturedEvents().map((e) => e.data), [{ name: 'Ada', message: 'Hello, Ada!' }])
  const item = await tester.get('/__stephost/streams/greetings/all/Ada')
  assert.deepEqual(item.body, { id: 'Ada', name: 'Ada', message: 'Hello, Ada!' })
})

test('create-greeting queues the name', async () => {
  const ctx = createMockContext({ traceId: 't-1' })
  const r = await createGreeting({ body: { name: 'Ada' } }, ctx)
  assert.deepEqual(r, { status: 202, body: { queued: true, name: 'Ada' } })
  assert.deepEqual(ctx.emit.calls, [[{ topic: 'greeting.requested', data: { name: 'Ada' } }]])
})

test('send-greeting stores and streams the greeting', async () => {
  const ctx = createMockContext()
  await sendGreeting({ name: 'Ada' }, ctx)
  assert.deepEqual(await ctx.state.get('greetings', 'Ada'), { message: 'Hello, Ada!' })
  assert.deepEqual(await ctx.streams.greetings.get('all', 'Ada'), { id: 'Ada', name: 'Ada', message: 'Hello, Ada!' })
  assert.deepEqual(ctx.emit.calls, [[{ topic: 'greeting.sent', data: { name: 'Ada', message: 'Hello, Ada!' } }]])
})

test('count-greetings logs the count', async () => {
  const ctx = createMockContext()
  await ctx.state.set('greetings', 'Ada', { message: 'Hello, Ada!' })
  await countGreetings(ctx)
  assert.deepEqual(ctx.logger.info.calls, [['greetings so far', { count: 1 }]])
})
