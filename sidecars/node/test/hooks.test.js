'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { makeProject, FakeSession, quietLog, tick } = require('./helpers')
const { loadProject } = require('../src/loader')
const { Runner } = require('../src/runner')
const { helloHookNames, invocationHookKey, hookKey } = require('../src/hooks')

const stream = (name, canAccess) =>
  `export const config = { name: '${name}', schema: { type: 'object' }${canAccess ? `, canAccess: ${canAccess}` : ''} }`

test('stream auth and canAccess are found, keyed and announced in one place', async () => {
  const dir = makeProject({
    'stream-auth.ts': 'export const authenticate = async (req: any) => (req.token === "ok" ? { user: "ada" } : null)',
    'steps/open.stream.ts': stream('open'),
    'steps/team.stream.ts': stream('team', '(sub, auth) => auth && auth.user === sub.groupId'),
  }, { zod: false })
  const { streams, hooks, loadErrors } = await loadProject(dir)
  assert.deepEqual(loadErrors, [])
  assert.deepEqual(streams.map((s) => [s.name, JSON.parse(s.configJson).canAccess]), [['open', undefined], ['team', true]])
  assert.deepEqual(helloHookNames(hooks), ['stream_authenticate'])

  const runner = new Runner({ steps: [], hooks, capacity: 4, log: quietLog })
  const session = new FakeSession()
  const call = (id, hook, step, payload) => runner.submit(session, { invocationId: id, hook, step, payloadJson: JSON.stringify(payload) })
  call('a1', 'stream_authenticate', '', { token: 'ok' })
  call('a2', 'stream_authenticate', '', { token: 'bad' })
  call('c1', 'stream_can_access', 'team', { subscription: { groupId: 'ada' }, authContext: { user: 'ada' } })
  // Fails closed: a truthy value that is not exactly true is a refusal.
  call('c2', 'stream_can_access', 'team', { subscription: { groupId: 'bob' }, authContext: { user: 'ada' } })
  call('c3', 'stream_can_access', 'open', { subscription: { groupId: 'x' }, authContext: null })
  await tick()
  await tick()
  const results = Object.fromEntries(session.sent.map(({ result }) => [result.invocationId, result]))
  assert.equal(results.a1.resultJson, '{"user":"ada"}')
  assert.equal(results.a2.resultJson, 'null')
  assert.equal(results.c1.resultJson, 'true')
  assert.equal(results.c2.resultJson, 'false')
  assert.equal(results.c3.error.type, 'StepNotFound')
  assert.match(results.c3.error.message, /stream_can_access.*open/)
})

test('a hook defined the wrong way is a load error naming the file, without a stack', async () => {
  const dir = makeProject({
    'steps/stream-auth.js': 'exports.authorize = () => true',
    'steps/bad.stream.js': "module.exports = { config: { name: 'bad', schema: {}, canAccess: 'yes' } }",
  }, { zod: false })
  const { loadErrors, hooks } = await loadProject(dir)
  assert.deepEqual(hooks, [])
  assert.deepEqual(loadErrors.map((e) => [e.file, e.message, e.stack]), [
    ['steps/bad.stream.js', 'config.canAccess must be a function (subscription, authContext) => boolean', ''],
    ['steps/stream-auth.js', "missing export 'authenticate(request)' returning an auth context or null", ''],
  ])
})

test('keys: one per project hook, one per stream for access checks; steps have none', () => {
  assert.equal(invocationHookKey({ hook: 'stream_can_access', step: 's' }), hookKey('stream_can_access', 's'))
  assert.equal(invocationHookKey({ hook: 'stream_authenticate', step: 'ignored' }), hookKey('stream_authenticate'))
  assert.equal(invocationHookKey({ hook: '', step: 's' }), '')
})
