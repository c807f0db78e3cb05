'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Connection, Session, backoffDelay, buildHello } = require('../src/connection')
const { loadConfig } = require('../src/config')
const { Runner } = require('../src/runner')
const { FakeClient, quietLog, tick, until } = require('./helpers')

const hello = { protocolVersion: 1, language: 'node', sidecarId: 'test', capacity: 4, steps: [], loadErrors: [] }
const welcome = (heartbeatIntervalMs = 60_000, rejectedSteps = []) => ({ kind: 'welcome', welcome: { hostId: 'h', heartbeatIntervalMs, rejectedSteps } })

function echoRunner(handler = (input) => input) {
  return new Runner({ steps: [{ name: 'echo', type: 'event', handler, middleware: [] }], capacity: 4, log: quietLog })
}

function recordingLog() {
  const lines = []
  const record = (level) => (message, fields) => lines.push({ level, message, ...fields })
  return { lines, debugEnabled: false, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }
}

const kinds = (batch) => batch.messages.map((m) => Object.keys(m)[0])

test('the hello goes first; everything queued in one turn leaves as one batch', async () => {
  const client = new FakeClient()
  const session = new Session(client, { hello, runner: echoRunner(), log: quietLog })
  await tick()
  assert.deepEqual(client.last.writes.map(kinds), [['hello']])
  client.last.receive(welcome())
  const invocation = (id) => ({ kind: 'invocation', invocation: { invocationId: id, step: 'echo', payloadJson: `"${id}"` } })
  client.last.receive(invocation('a'), invocation('b'), invocation('c'))
  await tick() // handlers settle
  await tick() // the writer flushes
  const batch = client.last.writes[1]
  assert.deepEqual(batch.messages.map((m) => [m.result.invocationId, m.result.resultJson]), [['a', '"a"'], ['b', '"b"'], ['c', '"c"']])
  session.close('test over')
})

test('when gRPC pushes back, messages pile up and go out as one batch on drain', async () => {
  const client = new FakeClient()
  const session = new Session(client, { hello, runner: echoRunner(), log: quietLog })
  const stream = client.last
  stream.writable = false
  await tick()
  for (let i = 0; i < 5; i++) session.sendLog({ message: `m${i}` })
  await tick()
  assert.equal(stream.writes.length, 1)
  stream.writable = true
  stream.emit('drain')
  assert.equal(stream.writes.length, 2)
  assert.equal(stream.writes[1].messages.length, 5)
  session.close('test over')
})

test('host calls resolve with their result or reject with the host error; a dead stream rejects the rest', async () => {
  const client = new FakeClient()
  const session = new Session(client, { hello, runner: echoRunner(), log: quietLog })
  const ok = session.call('inv', { state: { op: 'GET', group: 'g', key: 'k' } })
  const bad = session.call('inv', { emit: { topic: 't', dataJson: '1' } })
  const lost = session.call('inv', { emit: { topic: 't', dataJson: '2' } })
  await tick()
  const calls = client.last.writes.flatMap((b) => b.messages).filter((m) => m.call).map((m) => m.call)
  assert.deepEqual(calls.map((c) => c.invocationId), ['inv', 'inv', 'inv'])
  assert.equal(new Set(calls.map((c) => c.callId)).size, 3)
  client.last.receive(
    { kind: 'callResult', callResult: { callId: calls[0].callId, resultJson: '{"v":1}', error: null } },
    { kind: 'callResult', callResult: { callId: calls[1].callId, resultJson: '', error: { type: 'InvalidArgument', message: 'no such topic' } } },
  )
  assert.equal(await ok, '{"v":1}')
  await assert.rejects(bad, { name: 'InvalidArgument', message: 'no such topic' })
  client.last.emit('error', Object.assign(new Error('boom'), { details: 'connection reset' }))
  await assert.rejects(lost, { name: 'StreamLost', message: /connection reset/ })
  await assert.rejects(session.call('inv', {}), { name: 'StreamLost' })
  assert.deepEqual(await session.done, { welcomed: false, reason: 'stream error: connection reset', rejection: undefined })
})

test('heartbeats every interval with the in-flight count; silence for three intervals kills the stream', async () => {
  const client = new FakeClient()
  const log = recordingLog()
  const runner = echoRunner(() => new Promise(() => {}))
  const session = new Session(client, { hello, runner, log })
  client.last.receive(welcome(25, [{ step: 'bad', file: 'steps/bad.step.ts', reason: "field 'path' = null" }]))
  client.last.receive({ kind: 'invocation', invocation: { invocationId: 'x', step: 'echo', payloadJson: '1' } })
  const beats = () => client.last.writes.flatMap((b) => b.messages).filter((m) => m.heartbeat)
  await until(() => beats().length >= 1, 'a heartbeat')
  assert.equal(beats()[0].heartbeat.inFlight, 1)
  assert.ok(log.lines.some((l) => l.level === 'error' && l.step === 'bad' && l.file === 'steps/bad.step.ts'))
  const outcome = await session.done
  assert.equal(outcome.welcomed, true)
  assert.match(outcome.reason, /no message from the host for \d+ ms/)
  assert.equal(client.last.cancelled, true)
  assert.equal(runner.running, 0) // abandoned with the stream
})

test('a rejected hello ends the run with exit code 2', async () => {
  const client = new FakeClient()
  const connection = new Connection({ client, hello, runner: echoRunner(), log: quietLog })
  const code = connection.run()
  await tick()
  const stderr = process.stderr.write
  let printed = ''
  process.stderr.write = (text) => { printed += text; return true }
  try {
    client.last.receive({ kind: 'rejection', rejection: { code: 'unauthenticated', message: 'wrong secret' } })
    assert.equal(await code, 2)
  } finally {
    process.stderr.write = stderr
  }
  assert.equal(printed, 'unauthenticated: wrong secret\n')
})

test('a lost stream is redialled with backoff and the hello sent again; stop() drains and closes', async () => {
  const client = new FakeClient()
  const log = recordingLog()
  let release
  const runner = echoRunner(() => new Promise((resolve) => { release = resolve }))
  const connection = new Connection({ client, hello, runner, log })
  const code = connection.run()
  await tick()
  client.last.receive(welcome())
  client.last.emit('end')
  await until(() => client.streams.length === 2, 'the redial')
  await tick()
  assert.deepEqual(kinds(client.last.writes[0]), ['hello'])
  assert.ok(log.lines.some((l) => l.message === 'reconnecting' && l.attempt === 1))

  client.last.receive(welcome())
  client.last.receive({ kind: 'invocation', invocation: { invocationId: 'last', step: 'echo', payloadJson: '1' } })
  const stopped = connection.stop(5000)
  await tick()
  assert.equal(client.last.ended, false) // still running 'last'
  release('done')
  await until(() => client.last.ended, 'the stream to end once the last result is sent')
  const sent = client.last.writes.flatMap((b) => b.messages).filter((m) => m.result)
  assert.deepEqual(sent.map((m) => m.result.resultJson), ['"done"'])
  client.last.emit('status', { code: 0, details: 'OK' })
  await stopped
  assert.equal(await code, 0)
})

test('backoff: 100 ms doubling to 5 s, jittered between half and full', () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(5000, 100 * 2 ** attempt)
    for (let i = 0; i < 20; i++) {
      const delay = backoffDelay(attempt)
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${attempt}: ${delay}`)
    }
  }
})

test('the hello carries STEPHOST_VERSION (empty: "fs"), the manifests and only project-level hooks', () => {
  const loaded = {
    steps: [{ name: 's', manifest: { name: 's', type: 'event', configJson: '{}', file: 'steps/s.step.js' } }],
    streams: [{ name: 'team', configJson: '{"canAccess":true}', file: 'steps/team.stream.js' }],
    loadErrors: [{ file: 'steps/b.step.js', message: 'bad', stack: '' }],
    hooks: [{ name: 'stream_can_access', stream: 'team' }, { name: 'stream_authenticate', stream: '' }],
  }
  const hello = buildHello(loadConfig(['--sidecar-id', 'n1', '--capacity', '3'], { STEPHOST_VERSION: 'v42' }), loaded)
  assert.deepEqual({ ...hello, runtime: undefined }, {
    protocolVersion: 2, language: 'node', sidecarId: 'n1', capacity: 3, secret: '', runtime: undefined,
    steps: [loaded.steps[0].manifest], streams: loaded.streams, loadErrors: loaded.loadErrors,
    hooks: ['stream_authenticate'], version: 'v42',
  })
  assert.match(hello.runtime, /^node v\d+/)
  assert.equal(buildHello(loadConfig([], {}), loaded).version, '')
})

test('ChunkAck from the host opens the window of a streamed response; Cancel stops it', async () => {
  async function* endless() {
    for (let i = 0; ; i++) yield `${i};`
  }
  const runner = new Runner({ steps: [{ name: 'sse', type: 'api', handler: () => ({ body: endless() }), middleware: [] }], capacity: 4, log: quietLog })
  const client = new FakeClient()
  const session = new Session(client, { hello, runner, log: quietLog })
  client.last.receive(welcome())
  const sentChunks = () => client.last.writes.flatMap((b) => b.messages).filter((m) => m.chunk).map((m) => m.chunk.seq)
  const settle = async () => { for (let i = 0; i < 10; i++) await tick() }
  client.last.receive({ kind: 'invocation', invocation: { invocationId: 's1', step: 'sse', payloadJson: '{"bodyKind":"empty"}' } })
  await settle()
  assert.deepEqual(sentChunks(), [1, 2, 3, 4, 5, 6, 7, 8])
  client.last.receive({ kind: 'chunkAck', chunkAck: { invocationId: 's1', seq: 2 } })
  await settle()
  assert.deepEqual(sentChunks(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  client.last.receive({ kind: 'cancel', cancel: { invocationId: 's1' } })
  client.last.receive({ kind: 'chunkAck', chunkAck: { invocationId: 's1', seq: 10 } })
  await settle()
  assert.equal(sentChunks().length, 10)
  assert.equal(session.inFlight.size, 0)
  session.close('test over') // its heartbeat timer would keep the test process alive
})

// --- the writer's size cap ----------------------------------------------------

const protoLoader = require('@grpc/proto-loader')
const { PROTO_FILE } = require('../src/proto')
const { encodedSizeBound, MAX_MESSAGE_BYTES } = require('../src/connection')

const LOADED = protoLoader.loadSync(PROTO_FILE, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true })
/** The bytes grpc-js really sends for a SidecarBatch. */
const encodedBatch = (messages) => LOADED['stephost.v1.SidecarHost'].Connect.requestSerialize({ messages }).length

test('the size bound is never below the real encoding', () => {
  const samples = [
    { result: { invocationId: 'a-1', resultJson: '{"status":200,"body":"héllo ✓"}' } },
    { result: { invocationId: 'a-2', error: { type: 'TypeError', message: 'x', stack: 'at y', retryable: true, retryAfterSeconds: 2.5 } } },
    { call: { callId: '7', invocationId: 'a-1', emit: { topic: 't', dataJson: '[1,2,3]', messageGroupId: 'g' } } },
    { call: { callId: '8', invocationId: 'a-1', state: { op: 'SET', group: 'g', key: 'k', valueJson: '"v"' } } },
    { log: { invocationId: 'a-1', level: 'info', message: 'm', fieldsJson: '{"k":1}' } },
    { heartbeat: { sentUnixMs: Date.now(), inFlight: 3 } },
    { hello: { ...hello, steps: [{ name: 's', type: 'api', configJson: '{}', file: 'steps/s.step.ts' }], hooks: ['h'] } },
  ]
  for (const message of samples) {
    assert.ok(encodedSizeBound(message) >= encodedBatch([message]), JSON.stringify(message))
  }
  assert.ok(encodedSizeBound({ log: { message: 'x'.repeat(10_000) } }) < 10_200) // and close for big payloads
})

test('big results are spread over batches, none over the host limit, in order', async () => {
  const client = new FakeClient()
  const session = new Session(client, { hello, runner: echoRunner(), log: quietLog })
  await tick() // the hello goes out alone
  client.last.receive(welcome())
  const big = 'x'.repeat(25 * 1024 * 1024)
  for (const id of ['a', 'b', 'c', 'd']) session.send({ result: { invocationId: id, resultJson: big } })
  session.sendLog({ message: 'after' })
  await tick()
  const batches = client.last.writes.slice(1) // after the hello
  assert.ok(batches.length >= 2)
  for (const batch of batches) assert.ok(encodedBatch(batch.messages) <= MAX_MESSAGE_BYTES)
  const sent = batches.flatMap((b) => b.messages)
  assert.deepEqual(sent.map((m) => (m.result ? m.result.invocationId : m.log.message)), ['a', 'b', 'c', 'd', 'after'])
  assert.equal(client.last.cancelled, false)
  session.close('test over')
})

test('a message over the limit alone fails by itself: an error result, a rejected call', async () => {
  const client = new FakeClient()
  const session = new Session(client, { hello, runner: echoRunner(), log: quietLog })
  await tick() // the hello goes out alone
  client.last.receive(welcome())
  const huge = 'x'.repeat(MAX_MESSAGE_BYTES)
  session.send({ result: { invocationId: 'big', resultJson: huge } })
  const call = assert.rejects(session.call('big', { emit: { topic: 't', dataJson: huge } }), {
    name: 'PayloadTooLarge',
    message: /the call is about \d+ bytes/,
  })
  session.send({ result: { invocationId: 'small', resultJson: '1' } })
  await tick()
  const sent = client.last.writes.slice(1).flatMap((b) => b.messages)
  assert.deepEqual(sent.map((m) => m.result.invocationId), ['big', 'small'])
  assert.equal(sent[0].result.error.type, 'PayloadTooLarge')
  assert.equal(sent[0].result.error.retryable, false)
  assert.match(sent[0].result.error.message, /over the sidecar link's limit of 67108864 bytes/)
  await call
  assert.equal(client.last.cancelled, false)
  session.close('test over')
})
