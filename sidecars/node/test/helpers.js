'use strict'
// Shared bits for the unit tests: throwaway projects on disk, and fakes for
// the pieces a layer talks to (a session for the context, a gRPC stream for
// the connection).
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { EventEmitter } = require('node:events')

const SIDECAR_MODULES = path.join(__dirname, '..', 'node_modules')

/** A temp project with `files` ({relative path: source}); zod is linked from the sidecar's node_modules. */
function makeProject(files, { zod = true } = {}) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'stephost-node-test-')))
  for (const [rel, source] of Object.entries(files)) {
    const abs = path.join(dir, rel)
    fs.mkdirSync(path.dirname(abs), { recursive: true })
    fs.writeFileSync(abs, source)
  }
  if (zod) {
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true })
    fs.symlinkSync(path.join(SIDECAR_MODULES, 'zod'), path.join(dir, 'node_modules', 'zod'))
  }
  return dir
}

/** Records what a context sends; `answer(op)` decides each HostCall's result_json. */
class FakeSession {
  constructor(answer = () => 'null') {
    this.answer = answer
    this.calls = []
    this.logs = []
    this.sent = []
    this.inFlight = new Map()
    this.alive = true
  }
  call(invocationId, op) {
    this.calls.push({ invocationId, ...op })
    return Promise.resolve().then(() => this.answer(op))
  }
  sendLog(record) {
    this.logs.push(record)
  }
  send(message) {
    this.sent.push(message)
  }
}

/** Stands in for grpc-js's ClientDuplexStream. */
class FakeStream extends EventEmitter {
  constructor() {
    super()
    this.writes = []
    this.ended = false
    this.cancelled = false
    this.writable = true
  }
  write(batch) {
    this.writes.push(batch)
    return this.writable
  }
  end() {
    this.ended = true
  }
  cancel() {
    this.cancelled = true
  }
  /** The host sends a HostBatch. */
  receive(...messages) {
    this.emit('data', { messages })
  }
}

class FakeClient {
  constructor() {
    this.streams = []
  }
  Connect() {
    const stream = new FakeStream()
    this.streams.push(stream)
    return stream
  }
  get last() {
    return this.streams[this.streams.length - 1]
  }
}

const quietLog = { debugEnabled: false, debug() {}, info() {}, warn() {}, error() {} }

const tick = () => new Promise((resolve) => setImmediate(resolve))

/** Polls (one event-loop turn at a time, bounded) until `check()` is truthy. */
async function until(check, what) {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

module.exports = { makeProject, FakeSession, FakeStream, FakeClient, quietLog, tick, until }
