'use strict'
// The connection layer: one long-lived Connect stream to the host, the
// hello/welcome handshake, heartbeats both ways, a writer that drains
// everything queued into SidecarBatches (one per write, each under the
// host's message limit), and reconnection with backoff when the stream dies.
const { fromStepError } = require('./runner')
const { helloHookNames } = require('./hooks')
const { PROTOCOL_VERSION } = require('./proto')

const WELCOME_TIMEOUT_MS = 10_000
const DEFAULT_HEARTBEAT_MS = 5_000
const BACKOFF_START_MS = 100
const BACKOFF_MAX_MS = 5_000
const CLOSE_TIMEOUT_MS = 2_000
// The largest gRPC message the host accepts (MAX_MESSAGE_BYTES in the wire
// package's codec). Every batch stays under it, so big results in flight can
// never make the host refuse one message and tear down the whole stream.
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024
// Batches of small messages stop growing here; a bigger one travels alone, so
// heartbeats and small results are never stuck behind one huge message.
const BATCH_BYTES = 4 * 1024 * 1024
// The most a field's tag plus its length (or varint value) can take, rounded up.
const FIELD_BOUND = 16

class StreamLost extends Error {
  constructor(message = 'the stream to the host was lost') {
    super(message)
    this.name = 'StreamLost'
  }
}

/** gRPC's details, minus the empty "Resolution note:" it appends to connection failures. */
function describeStreamError(err) {
  return String(err.details || err.message).replace(/\.?\s*Resolution note:\s*$/, '')
}

/** The Hello for `config` (config.js) and what the loader found. */
function buildHello(config, { steps, streams, loadErrors, hooks }) {
  return {
    protocolVersion: PROTOCOL_VERSION,
    language: 'node',
    sidecarId: config.sidecarId,
    capacity: config.capacity,
    steps: steps.map((step) => step.manifest),
    loadErrors,
    secret: config.secret,
    runtime: `node ${process.version}`,
    streams,
    hooks: helloHookNames(hooks),
    // STEPHOST_VERSION; empty means "fs", the steps of the project directory.
    version: config.version,
  }
}

/**
 * An upper bound on a message's protobuf encoding as one item of a batch, for
 * proto-loader's plain objects: every field counts the most its tag and length
 * can take, and its name stands in for a map key, so the real encoding is never
 * larger. Strings, which carry the payloads, are measured exactly.
 */
function encodedSizeBound(value) {
  if (typeof value === 'string') return FIELD_BOUND + Buffer.byteLength(value)
  if (value instanceof Uint8Array) return FIELD_BOUND + value.length
  if (Array.isArray(value)) return value.reduce((sum, item) => sum + encodedSizeBound(item), 0)
  if (value !== null && typeof value === 'object') {
    let size = FIELD_BOUND
    for (const key in value) size += Buffer.byteLength(key) + encodedSizeBound(value[key])
    return size
  }
  return FIELD_BOUND // numbers, booleans, null
}

/** Exponential backoff, 100 ms doubling to 5 s, with jitter (half to full delay). */
function backoffDelay(attempt) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** attempt)
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}

/**
 * One Connect stream, from hello until it dies. `done` resolves once with
 * `{ welcomed, reason, rejection }`; the Session is then inert and a new one
 * is made for the next attempt, so nothing from a dead stream leaks into the
 * next (late results and calls of abandoned invocations are dropped).
 */
class Session {
  constructor(client, { hello, runner, log }) {
    this.runner = runner
    this.log = log
    this.alive = true
    this.welcomed = false
    this.inFlight = new Map() // invocationId -> slot (owned by the Runner)
    this.pending = new Map() // callId -> { resolve, reject }
    this.callSeq = 0
    this.queue = []
    this.flushScheduled = false
    this.blocked = false
    this.lastReceived = Date.now()
    this.timer = null
    this.done = new Promise((resolve) => {
      this.finish = resolve
    })
    this.flush = this.flush.bind(this)

    this.stream = client.Connect()
    this.stream.on('data', (batch) => this.receive(batch))
    this.stream.on('error', (err) => this.close(`stream error: ${describeStreamError(err)}`))
    this.stream.on('end', () => this.close('the host closed the stream'))
    this.stream.on('status', (status) => this.close(`stream ended: ${status.details || `code ${status.code}`}`))

    this.send({ hello })
    this.timer = setTimeout(() => this.close('no welcome from the host'), WELCOME_TIMEOUT_MS)
  }

  // --- writing -------------------------------------------------------------

  /** Queue a SidecarMessage; it goes out with everything else queued this tick. */
  send(message) {
    if (!this.alive) return
    this.queue.push(message)
    if (!this.flushScheduled && !this.blocked) {
      this.flushScheduled = true
      // setImmediate, not a microtask: lets every result and call produced by
      // this turn of the event loop (including I/O callbacks) join the batch.
      setImmediate(this.flush)
    }
  }

  flush() {
    this.flushScheduled = false
    while (this.alive && !this.blocked && this.queue.length > 0) {
      const messages = this.takeBatch()
      if (messages.length > 0 && !this.stream.write({ messages })) {
        // gRPC's buffer is full: keep queueing (bigger batches) until it drains.
        this.blocked = true
        this.stream.once('drain', () => {
          this.blocked = false
          this.flush()
        })
      }
    }
  }

  /** Takes from the queue what fits in one message to the host, in order. */
  takeBatch() {
    const messages = []
    let total = 0
    let taken = 0
    for (; taken < this.queue.length; taken++) {
      let message = this.queue[taken]
      let size = encodedSizeBound(message)
      if (size > MAX_MESSAGE_BYTES) {
        message = this.refuse(message, size)
        if (!message) continue
        size = encodedSizeBound(message)
      }
      if (messages.length > 0 && total + size > BATCH_BYTES) break // opens the next batch
      messages.push(message)
      total += size
    }
    this.queue = this.queue.slice(taken)
    return messages
  }

  /**
   * A message too big for the link on its own fails alone, as an error its
   * sender sees, instead of the host refusing the stream: returns what to send
   * in its place (or nothing).
   */
  refuse(message, size) {
    const tooBig = `about ${size} bytes encoded, over the sidecar link's limit of ${MAX_MESSAGE_BYTES} bytes per message (send less data, or store it and pass a reference such as a state key)`
    const error = (what) => ({ type: 'PayloadTooLarge', message: `${what} is ${tooBig}`, stack: '', retryable: false, retryAfterSeconds: 0 })
    if (message.result) return { result: { invocationId: message.result.invocationId, error: error("the handler's result") } }
    if (message.call) {
      this.settleCall({ callId: message.call.callId, error: error('the call') })
      return null
    }
    this.log.warn('a message too large for the link was not sent', { kind: Object.keys(message)[0], bytes: size })
    return null
  }

  /** A HostCall for `invocationId`; resolves with the CallResult's result_json. */
  call(invocationId, op) {
    if (!this.alive) return Promise.reject(new StreamLost())
    return new Promise((resolve, reject) => {
      const callId = String(++this.callSeq)
      this.pending.set(callId, { resolve, reject })
      this.send({ call: { callId, invocationId, ...op } })
    })
  }

  /** A LogRecord from ctx.logger; fire and forget. */
  sendLog(record) {
    if (this.alive) this.send({ log: record })
  }

  // --- reading -------------------------------------------------------------

  receive(batch) {
    this.lastReceived = Date.now()
    for (const message of batch.messages) {
      if (!this.alive) return
      switch (message.kind) {
        case 'invocation':
          this.runner.submit(this, message.invocation)
          break
        case 'callResult':
          this.settleCall(message.callResult)
          break
        case 'cancel':
          this.runner.cancel(this, message.cancel.invocationId)
          break
        case 'chunkAck':
          this.runner.ack(this, message.chunkAck.invocationId, Number(message.chunkAck.seq))
          break
        case 'agent': // only an agent's runner takes commands (agent.js)
          if (this.runner.command) this.runner.command(this, message.agent)
          break
        case 'heartbeat':
          break
        case 'welcome':
          this.onWelcome(message.welcome)
          break
        case 'rejection':
          this.close(`rejected: ${message.rejection.code}: ${message.rejection.message}`, message.rejection)
          break
        default:
          // A newer host may send kinds this sidecar does not know; skip them.
          break
      }
    }
  }

  settleCall(result) {
    const waiter = this.pending.get(result.callId)
    if (!waiter) return
    this.pending.delete(result.callId)
    if (result.error) waiter.reject(fromStepError(result.error))
    else waiter.resolve(result.resultJson)
  }

  onWelcome(welcome) {
    this.welcomed = true
    clearTimeout(this.timer)
    this.log.info('connected', { host: welcome.hostId || '?', heartbeatMs: welcome.heartbeatIntervalMs })
    for (const rejected of welcome.rejectedSteps) {
      this.log.error('step rejected by the host', { step: rejected.step, file: rejected.file, reason: rejected.reason })
    }
    const interval = welcome.heartbeatIntervalMs > 0 ? welcome.heartbeatIntervalMs : DEFAULT_HEARTBEAT_MS
    let lastTick = Date.now()
    this.timer = setInterval(() => {
      const now = Date.now()
      // A handler that blocked the event loop delays this timer and the data
      // events alike; judge silence only when the timer itself ran on time.
      const loopWasBlocked = now - lastTick > 2 * interval
      lastTick = now
      if (!loopWasBlocked && now - this.lastReceived > 3 * interval) {
        this.close(`no message from the host for ${now - this.lastReceived} ms`)
        return
      }
      this.send({ heartbeat: { sentUnixMs: now, inFlight: this.inFlight.size } })
    }, interval)
  }

  // --- ending --------------------------------------------------------------

  /** The stream is dead (or refused us): settle everything it owned, once. */
  close(reason, rejection) {
    if (!this.alive) return
    this.alive = false
    clearTimeout(this.timer)
    clearInterval(this.timer)
    this.queue = []
    const lost = new StreamLost(`the stream to the host was lost (${reason})`)
    for (const waiter of this.pending.values()) waiter.reject(lost)
    this.pending.clear()
    this.runner.abandon(this)
    this.stream.cancel()
    this.finish({ welcomed: this.welcomed, reason, rejection })
  }

  /** Shutdown: send what is queued, half-close, and wait briefly for the host to end the stream. */
  async closeGracefully() {
    if (!this.alive) return
    clearInterval(this.timer)
    await new Promise((resolve) => {
      const timeout = setTimeout(resolve, CLOSE_TIMEOUT_MS)
      this.done.then(() => {
        clearTimeout(timeout)
        resolve()
      })
      const end = () => {
        this.flush()
        if (this.blocked) this.stream.once('drain', end)
        else this.stream.end()
      }
      end()
    })
    this.close('sidecar stopping')
  }
}
/**
 * Keeps one Session alive until stop(): dial, hello, and on loss reconnect
 * with backoff. `run()` resolves with the process exit code.
 */
class Connection {
  constructor({ client, hello, runner, log }) {
    this.client = client
    this.hello = hello
    this.runner = runner
    this.log = log
    this.session = null
    this.stopping = false
    this.wakeUp = null
  }

  async run() {
    let attempt = 0
    while (!this.stopping) {
      this.session = new Session(this.client, { hello: this.hello, runner: this.runner, log: this.log })
      const outcome = await this.session.done
      if (outcome.rejection) {
        process.stderr.write(`${outcome.rejection.code}: ${outcome.rejection.message}\n`)
        return 2
      }
      if (this.stopping) break
      if (outcome.welcomed) attempt = 0
      const delay = backoffDelay(attempt++)
      this.log.warn('reconnecting', { attempt, inMs: delay, reason: outcome.reason })
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, delay)
        this.wakeUp = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.wakeUp = null
    }
    return 0
  }

  /** Send on the current stream, if there is one (lost with it otherwise). */
  send(message) {
    if (this.session && this.session.alive) this.session.send(message)
  }

  /** SIGTERM/SIGINT: no new invocations, let running ones finish (bounded), close the stream. */
  async stop(graceMs) {
    if (this.stopping) return
    this.stopping = true
    if (this.wakeUp) this.wakeUp()
    const finished = await this.runner.drain(graceMs)
    if (!finished) this.log.warn('stopping with invocations still running', { graceMs })
    if (this.session) await this.session.closeGracefully()
  }
}

module.exports = { Connection, Session, buildHello, backoffDelay, encodedSizeBound, StreamLost, MAX_MESSAGE_BYTES }
