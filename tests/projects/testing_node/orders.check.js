// The project's own tests (tests/test_testing_helpers.py copies this to orders.test.js).
const { after, before, test } = require('node:test')
const assert = require('node:assert/strict')
const { createMotiaTester, createMockContext } = require('stephost/testing')
const { handler: createOrder } = require('./steps/create_order.step.js')

const EXPECTED = 'shipped' // the failing variant replaces this
let tester

before(() => {
  tester = createMotiaTester(__dirname)
})
after(() => tester.close())

test('an order is shipped', async () => {
  const shipped = await tester.watch('order.shipped')
  const r = await tester.post('/orders', { body: { id: 'o-1' } })
  assert.equal(r.status, 201)
  assert.deepEqual(r.body, { id: 'o-1' })
  await tester.waitEvents()
  assert.deepEqual(shipped.getCapturedEvents().map((e) => e.data), [{ id: 'o-1' }])
  const got = await tester.get('/orders/o-1')
  assert.deepEqual(got.body, { status: EXPECTED })
})

test('an emitted event is handled', async () => {
  const shipped = await tester.watch('order.shipped')
  await tester.emit({ topic: 'order.created', data: { id: 'o-2' }, traceId: 'trace-o-2' })
  await tester.waitEvents()
  assert.deepEqual(shipped.getCapturedEvents(), [{ topic: 'order.shipped', data: { id: 'o-2' }, traceId: 'trace-o-2' }])
})

test('the handler alone', async () => {
  const ctx = createMockContext({ traceId: 't-1' })
  const r = await createOrder({ body: { id: 'o-3' } }, ctx)
  assert.deepEqual(r, { status: 201, body: { id: 'o-3' } })
  assert.deepEqual(ctx.emit.calls, [[{ topic: 'order.created', data: { id: 'o-3' } }]])
  assert.deepEqual(ctx.logger.info.calls, [['order received', { order: 'o-3' }]])
  await ctx.state.set('orders', 'o-3', { status: 'new' })
  assert.deepEqual(await ctx.state.getGroup('orders'), [{ status: 'new' }])
})
