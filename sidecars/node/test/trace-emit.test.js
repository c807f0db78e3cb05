'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { Session } = require('../src/connection')
const { Runner } = require('../src/runner')
const { install, STAMPS } = require('../tools/trace-emit')
const { FakeClient, makeProject, quietLog, tick } = require('./helpers')

const hello = { protocolVersion: 1, language: 'node', sidecarId: 'test', capacity: 4, steps: [], loadErrors: [] }

test('trace-emit stamps each stretch of an emitting invocation, in order, and restores the Session', async () => {
  const original = { ...Object.fromEntries(['receive', 'send', 'takeBatch'].map((name) => [name, Session.prototype[name]])) }
  let clock = 0
  const recorder = install(Session, () => ++clock)
  try {
    const steps = [
      { name: 'emitter', type: 'event', middleware: [], handler: async (input, ctx) => { await ctx.emit({ topic: 't', data: input }); return 'done' } },
      { name: 'echo', type: 'event', middleware: [], handler: (input) => input },
    ]
    const client = new FakeClient()
    const session = new Session(client, { hello, runner: new Runner({ steps, capacity: 4, log: quietLog }), log: quietLog })
    client.last.receive({ kind: 'welcome', welcome: { hostId: 'h', heartbeatIntervalMs: 60_000, rejectedSteps: [] } })
    const invocation = (id, step) => ({ kind: 'invocation', invocation: { invocationId: id, step, payloadJson: '1' } })
    client.last.receive(invocation('a', 'emitter'), invocation('b', 'echo'))
    await tick()
    await tick()
    const call = client.last.writes.flatMap((batch) => batch.messages).find((m) => m.call).call
    client.last.receive({ kind: 'callResult', callResult: { callId: call.callId, resultJson: 'null' } })
    await tick()
    await tick()
    session.close('test over')

    const emitting = recorder.rows.filter((row) => row.call !== undefined)
    const plain = recorder.rows.filter((row) => row.call === undefined)
    assert.deepEqual(emitting.map((row) => Object.keys(row)), [STAMPS])
    assert.deepEqual(plain.map((row) => Object.keys(row)), [['read', 'result', 'resultSent']])
    const times = STAMPS.map((name) => emitting[0][name])
    assert.deepEqual(times, [...times].sort((x, y) => x - y), 'stamps of the emitting invocation follow its life')
    const labels = recorder.summary().trim().split('\n').map((line) => line.split(':')[0])
    assert.deepEqual(labels.sort(), [
      'answer -> result', 'call -> callSent', 'callSent -> answer', 'read -> call', 'read -> result',
      'read -> resultSent (all)', 'result -> resultSent',
    ])
    assert.match(recorder.summary(), /^read -> resultSent \(all\): p50 \d+\.\d{3} ms \(n=2\)$/m)
  } finally {
    recorder.uninstall()
  }
  for (const [name, fn] of Object.entries(original)) assert.equal(Session.prototype[name], fn, `${name} restored`)
})

test('preloaded into the sidecar (NODE_OPTIONS), it hooks the Session and writes its summary at exit', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephost-trace-emit-'))
  const out = path.join(dir, 'emit.txt')
  const project = makeProject({ 'steps/hello.step.js': "exports.config = { name: 'hello', type: 'event', subscribes: ['x'] }\nexports.handler = async () => null\n" })
  // --check loads the project and exits: no invocation, so the summary is empty, but it was
  // installed by the preload (the file exists only if the exit hook ran).
  const run = spawnSync(process.execPath, [path.join(__dirname, '..', 'src', 'main.js'), '--check', project], {
    env: { ...process.env, NODE_OPTIONS: `--require ${path.join(__dirname, '..', 'tools', 'trace-emit.js')}`, STEPHOST_TRACE_EMIT: out },
    encoding: 'utf8',
  })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(JSON.parse(run.stdout).steps[0].name, 'hello')
  assert.equal(fs.readFileSync(out, 'utf8'), '\n')
})
