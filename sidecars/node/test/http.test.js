'use strict'
// Request bodies beyond JSON (rawBody, bytes, multipart files) and responses
// beyond JSON (bytes, streamed in chunks with a window), driven through the
// runner with protocol-shaped invocations.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Readable } = require('node:stream')
const { Runner } = require('../src/runner')
const { STREAM_WINDOW, MAX_CHUNK } = require('../src/response-stream')
const { FakeSession, quietLog, tick, until } = require('./helpers')

const request = (extra = {}) => ({ method: 'POST', path: '/x', body: null, headers: {}, pathParams: {}, queryParams: {}, bodyKind: 'empty', ...extra })

function apiRunner(handler) {
  return new Runner({ steps: [{ name: 'h', type: 'api', handler, middleware: [] }], capacity: 4, log: quietLog })
}

/** Runs one invocation of `handler`; resolves with the session once `done(session)` holds. */
function invoke(handler, { payload = request(), rawBody, files, fileRanges, id = 'i1' } = {}) {
  const runner = apiRunner(handler)
  const session = new FakeSession()
  runner.submit(session, { invocationId: id, step: 'h', traceId: 't', payloadJson: JSON.stringify(payload), rawBody, files, fileRanges })
  return { runner, session }
}

const results = (session) => session.sent.filter((m) => m.result).map((m) => m.result)
const chunks = (session) => session.sent.filter((m) => m.chunk).map((m) => m.chunk)
const resultOf = async (session) => {
  await until(() => results(session).length > 0, 'the result')
  return results(session)[0]
}

// Protocol 1 sends a JSON body in the payload; protocol 2 leaves it out and
// the sidecar reads it from the raw bytes. The handler sees the same either way.
const jsonPayloads = {
  'in the payload': request({ body: { a: 1, b: [true] }, bodyKind: 'json' }),
  'read from the raw bytes': (({ body, ...rest }) => rest)(request({ bodyKind: 'json' })),
}
for (const [how, payload] of Object.entries(jsonPayloads)) {
  test(`req.rawBody is a Buffer of the exact bytes; a JSON body ${how} is unchanged and the req destructures`, async () => {
    const raw = Buffer.from('{ "a" :1,\n"b":[true] }')
    let seen
    const { session } = invoke(({ body, rawBody }) => {
      seen = { body, rawBody, text: `${body}`, json: JSON.stringify(body), keys: Object.keys(body) }
      return { status: 200, body }
    }, { payload, rawBody: raw })
    const result = await resultOf(session)
    assert.ok(Buffer.isBuffer(seen.rawBody))
    assert.ok(seen.rawBody.equals(raw))
    assert.equal(seen.text, raw.toString()) // `${req.body}` is the text received
    assert.equal(seen.json, '{"a":1,"b":[true]}')
    assert.deepEqual(seen.keys, ['a', 'b'])
    assert.deepEqual(JSON.parse(result.resultJson), { status: 200, body: { a: 1, b: [true] }, headers: {} })
    assert.equal(result.bodyBytes, undefined)
  })
}

test('a form body reads as its fields and, in a string context, as the form text (Slack signing)', async () => {
  const raw = Buffer.from('payload=%7B%22a%22%3A1%7D&x=1&x=2')
  let text
  const { session } = invoke((req) => {
    text = `v0:123:${req.body}`
    return { status: 200, body: { payload: JSON.parse(req.body.payload), x: req.body.x } }
  }, { payload: request({ body: { payload: '{"a":1}', x: ['1', '2'] }, bodyKind: 'form' }), rawBody: raw })
  assert.deepEqual(JSON.parse((await resultOf(session)).resultJson).body, { payload: { a: 1 }, x: ['1', '2'] })
  assert.equal(text, `v0:123:${raw}`)
})

test('an empty body gives an empty rawBody; bodyKind "bytes" gives the raw bytes as the body', async () => {
  let empty
  invoke((req) => { empty = req.rawBody })
  await until(() => empty, 'the handler')
  assert.equal(empty.length, 0)

  const raw = Buffer.from([0, 1, 2, 0xff, 0xfe])
  let body
  const { session } = invoke((req) => {
    body = req.body
    return { status: 200, body: { same: req.body === req.rawBody } }
  }, { payload: request({ bodyKind: 'bytes' }), rawBody: raw })
  assert.deepEqual(JSON.parse((await resultOf(session)).resultJson).body, { same: true })
  assert.ok(Buffer.isBuffer(body) && body.equals(raw))
})

test('multipart file fields get their content from Invocation.files, alone or repeated', async () => {
  const files = [Buffer.from('first'), Buffer.from([0, 0xff]), Buffer.from('third')]
  const body = {
    note: 'hi',
    tags: ['a', 'b'],
    doc: { filename: 'a.txt', contentType: 'text/plain', size: 5, file: 0 },
    pics: [
      { filename: 'b.bin', contentType: 'application/octet-stream', size: 2, file: 1 },
      { filename: 'c.txt', contentType: 'text/plain', size: 5, file: 2 },
    ],
  }
  let seen
  const { session } = invoke((req) => { seen = req.body; return { status: 204 } },
    { payload: request({ body, bodyKind: 'multipart' }), rawBody: Buffer.from('--raw--'), files })
  await resultOf(session)
  assert.equal(seen.note, 'hi')
  assert.deepEqual(seen.tags, ['a', 'b'])
  assert.deepEqual(Object.keys(seen.doc).sort(), ['content', 'contentType', 'filename', 'size'])
  assert.equal(seen.doc.filename, 'a.txt')
  assert.ok(seen.doc.content.equals(files[0]))
  assert.deepEqual(seen.pics.map((p) => [p.filename, p.size, p.content.toString('hex')]),
    [['b.bin', 2, '00ff'], ['c.txt', 5, Buffer.from('third').toString('hex')]])

  const bad = invoke(() => ({}), { payload: request({ body: { f: { filename: 'x', file: 3 } }, bodyKind: 'multipart' }), files })
  assert.match((await resultOf(bad.session)).error.message, /multipart file index 3 is out of range/)
})

test('protocol 2: multipart files are ranges of rawBody, read in place', async () => {
  const rawBody = Buffer.from('onetw')
  const body = { up: { filename: 'a', size: 3, file: 1 }, many: [{ filename: 'b', size: 2, file: 0 }] }
  let seen
  const { session } = invoke((req) => { seen = req.body; return { status: 204 } },
    { payload: request({ body, bodyKind: 'multipart' }), rawBody, fileRanges: [{ start: 3, end: 5 }, { start: 0, end: 3 }] })
  await resultOf(session)
  assert.deepEqual([seen.up.content.toString(), seen.many[0].content.toString()], ['one', 'tw'])
  assert.equal(seen.up.content.buffer, rawBody.buffer) // a view, not a copy

  const bad = invoke(() => ({}), { payload: request({ body, bodyKind: 'multipart' }), rawBody, fileRanges: [{ start: 2, end: 9 }] })
  assert.match((await resultOf(bad.session)).error.message, /multipart file range \[2, 9\) is outside the 5-byte body/)
})

test('a Buffer or Uint8Array body goes out as body_bytes with status and headers only', async () => {
  const png = Buffer.from('89504e470d0a1a0a', 'hex')
  const { session } = invoke(() => ({ status: 201, body: png, headers: { 'content-type': 'image/png' } }))
  const result = await resultOf(session)
  assert.deepEqual(JSON.parse(result.resultJson), { status: 201, headers: { 'content-type': 'image/png' } })
  assert.ok(result.bodyBytes.equals(png))

  const typed = invoke(() => ({ body: new Uint8Array([7, 8, 9]).subarray(1) }))
  const typedResult = await resultOf(typed.session)
  assert.deepEqual(JSON.parse(typedResult.resultJson), { status: 200, headers: {} })
  assert.deepEqual([...typedResult.bodyBytes], [8, 9])
})

test('strings, arrays and objects stay JSON bodies (a CSV string keeps its content-type)', async () => {
  const csv = invoke(() => ({ status: 200, body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } }))
  assert.deepEqual(JSON.parse((await resultOf(csv.session)).resultJson), { status: 200, body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } })
  const list = invoke(() => ({ body: ['a', 'b'] }))
  const listResult = await resultOf(list.session)
  assert.equal(JSON.parse(listResult.resultJson).body.length, 2)
  assert.deepEqual(chunks(list.session), [])
})

test('a streamed body goes out in order: seq 1 with status and headers, then the data, then streamed', async () => {
  async function* events() {
    for (let i = 1; i <= 3; i++) yield `data: ${i}\n\n`
  }
  const { session } = invoke(() => ({ status: 200, body: events(), headers: { 'content-type': 'text/event-stream' } }))
  const result = await resultOf(session)
  assert.deepEqual(result, { invocationId: 'i1', streamed: true })
  const sent = chunks(session)
  assert.deepEqual(sent.map((c) => c.seq), [1, 2, 3, 4])
  assert.deepEqual([sent[0].status, JSON.parse(sent[0].headersJson)], [200, { 'content-type': 'text/event-stream' }])
  assert.ok(sent.slice(1).every((c) => c.status === undefined && c.headersJson === undefined))
  assert.equal(Buffer.concat(sent.map((c) => c.data)).toString(), 'data: 1\n\ndata: 2\n\ndata: 3\n\n')
  // The chunks were all queued before the result.
  assert.ok(session.sent.findIndex((m) => m.result) > session.sent.findLastIndex((m) => m.chunk))
})

test('every kind of stream body: sync generator, Node Readable, web ReadableStream, a bare async generator', async () => {
  function* sync() { yield 'a'; yield Buffer.from('b'); yield new Uint8Array([99]) }
  const web = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('w1')); c.enqueue('w2'); c.close() } })
  async function* bare() { yield 'x' }
  const cases = [[() => ({ body: sync() }), 'abc'], [() => ({ body: Readable.from(['r1', 'r2']) }), 'r1r2'],
    [() => ({ body: web }), 'w1w2'], [() => bare(), 'x']]
  for (const [handler, expected] of cases) {
    const { session } = invoke(handler)
    const result = await resultOf(session)
    assert.equal(result.streamed, true, JSON.stringify(result))
    assert.equal(Buffer.concat(chunks(session).map((c) => c.data)).toString(), expected)
    assert.equal(chunks(session)[0].status, 200)
  }
})

test('a piece larger than 1 MiB is split; at most 8 chunks wait for a ChunkAck', async () => {
  const big = Buffer.alloc(2 * MAX_CHUNK + 10, 7)
  const split = invoke(() => ({ body: [big].values() }))
  await resultOf(split.session)
  assert.deepEqual(chunks(split.session).slice(1).map((c) => c.data.length), [MAX_CHUNK, MAX_CHUNK, 10])

  let pulled = 0
  async function* many() {
    for (let i = 0; i < 20; i++) {
      pulled++
      yield `${i},`
    }
  }
  const { runner, session } = invoke(() => ({ body: many() }))
  await until(() => chunks(session).length === STREAM_WINDOW, 'the first window')
  for (let i = 0; i < 5; i++) await tick()
  assert.equal(chunks(session).length, STREAM_WINDOW) // no ack: it waits
  assert.ok(pulled <= STREAM_WINDOW, `pulled ${pulled}`)
  runner.ack(session, 'i1', 3)
  await until(() => chunks(session).length === STREAM_WINDOW + 3, 'three more after the ack')
  for (let i = 0; i < 5; i++) await tick()
  assert.equal(chunks(session).length, STREAM_WINDOW + 3)
  runner.ack(session, 'i1', 100)
  assert.equal((await resultOf(session)).streamed, true)
  assert.deepEqual(chunks(session).map((c) => c.seq), Array.from({ length: 21 }, (_, i) => i + 1))
  assert.equal(Buffer.concat(chunks(session).map((c) => c.data)).toString(), Array.from({ length: 20 }, (_, i) => `${i},`).join(''))
  assert.equal(session.inFlight.size, 0)
})

test('Cancel stops the iteration (the generator runs its finally) and nothing more is sent', async () => {
  let finished = null
  let wakeUp
  async function* slow() {
    try {
      yield 'one'
      await new Promise((resolve) => { wakeUp = resolve })
      yield 'two'
      yield 'three'
      finished = 'ran to the end'
    } finally {
      finished = finished || 'stopped'
    }
  }
  const { runner, session } = invoke(() => ({ body: slow() }))
  await until(() => chunks(session).length === 2 && wakeUp, 'the first piece')
  runner.cancel(session, 'i1')
  assert.equal(session.inFlight.size, 0)
  wakeUp()
  await until(() => finished, 'the generator to close')
  assert.equal(finished, 'stopped')
  for (let i = 0; i < 5; i++) await tick()
  assert.equal(chunks(session).length, 2)
  assert.deepEqual(results(session), [])

  // Cancelled while waiting for the window; a Readable body is destroyed.
  const readable = Readable.from((function* () { for (let i = 0; i < 100; i++) yield `${i}` })())
  const waiting = invoke(() => ({ body: readable }), { id: 'i2' })
  await until(() => chunks(waiting.session).length === STREAM_WINDOW, 'the window to fill')
  waiting.runner.cancel(waiting.session, 'i2')
  await until(() => readable.destroyed, 'the Readable to be destroyed')
  for (let i = 0; i < 5; i++) await tick()
  assert.equal(chunks(waiting.session).length, STREAM_WINDOW)
  assert.deepEqual(results(waiting.session), [])
})

test('an error mid-stream, or a piece that is not text or bytes, ends it with InvocationResult.error', async () => {
  async function* failing() {
    yield 'partial'
    throw new RangeError('source broke')
  }
  const { session } = invoke(() => ({ body: failing() }))
  const result = await resultOf(session)
  assert.deepEqual([result.error.type, result.error.message], ['RangeError', 'source broke'])
  assert.equal(result.streamed, undefined)
  assert.equal(chunks(session).length, 2)

  const odd = invoke(() => ({ body: new Set([{ n: 1 }]) }))
  assert.match((await resultOf(odd.session)).error.message, /must produce strings or bytes.*got Object/)
})

test('a stream body returned after its invocation was cancelled is closed unread', async () => {
  let release
  const readable = Readable.from(['never read'])
  const { runner, session } = invoke(async () => {
    await new Promise((resolve) => { release = resolve })
    return { body: readable }
  })
  await until(() => release, 'the handler to start')
  runner.cancel(session, 'i1')
  release()
  await until(() => readable.destroyed, 'the Readable to be destroyed')
  assert.deepEqual(session.sent, [])
})
