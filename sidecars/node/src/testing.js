'use strict'
// Testing helpers: `const { createTester, createMockContext } = require('stephost/testing')`.
//
// createTester starts a real host on the project (`stephost dev` on free ports, its own
// embedded NATS, a temp state dir) and talks to it over HTTP only, through the endpoints
// the Python and Ruby testers use too (/__stephost/testing/*, with the host's secret).
// createMockContext gives one handler a context that records its emits and logs and keeps
// state and streams in memory. Recorders are plain functions with `.calls`, so nothing
// here depends on jest or vitest globals: it runs under `node --test` and vitest alike.
const { spawn } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const TESTING = '/__stephost/testing'
const START_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 15_000

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The command that runs the host: $STEPHOST_COMMAND (split on spaces) or `stephost`. */
function hostCommand() {
  const words = (process.env.STEPHOST_COMMAND || 'stephost').trim().split(/\s+/)
  return { file: words[0], args: words.slice(1) }
}

async function decode(res) {
  const text = await res.text()
  if ((res.headers.get('content-type') || '').includes('json') && text) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

class Watcher {
  constructor(tester, topic, cursor) {
    this.tester = tester
    this.topic = topic
    this.cursor = cursor
    this.events = []
  }

  /** [{topic, data, traceId}] stored since watch(), as of the last waitEvents(). */
  getCapturedEvents() {
    return this.events.map(({ topic, data, traceId }) => ({ topic, data, traceId }))
  }

  async refresh() {
    for (;;) {
      const page = await this.tester._admin('GET', `/events?topic=${encodeURIComponent(this.topic)}&after=${this.cursor}`)
      this.events.push(...page.events)
      this.cursor = page.last
      if (page.events.length === 0) return
    }
  }
}

class Tester {
  constructor(projectDir, options = {}) {
    this.project = path.resolve(projectDir || process.env.STEPHOST_PROJECT || process.cwd())
    if (!fs.existsSync(this.project)) {
      throw new Error(`project folder ${this.project} does not exist: pass the folder with steps/`)
    }
    this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephost-test-'))
    this.logPath = path.join(this.stateDir, 'host.log')
    this.url = ''
    this.secret = ''
    this.watchers = []
    this.child = null
    this._exited = null
    this._killOnExit = () => this._kill('SIGKILL')
    this.started = this._start(options)
    this.started.catch(() => {}) // reported by the first call that awaits it
  }

  async _start({ env = {}, timeoutMs = START_TIMEOUT_MS }) {
    const { file, args } = hostCommand()
    const log = fs.openSync(this.logPath, 'w')
    const argv = [...args, 'dev', this.project, '--port', '0', '--sidecar-port', '0', '--state-dir', this.stateDir]
    this.child = spawn(file, argv, {
      env: { ...process.env, STEPHOST_TESTING_ENDPOINTS: 'true', ...env },
      stdio: ['ignore', log, log],
      detached: true, // its own process group: close() stops its sidecars too
    })
    fs.closeSync(log)
    this._exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
    let spawnError = null
    this.child.once('error', (err) => {
      spawnError = err
    })
    process.once('exit', this._killOnExit)
    const runtime = path.join(this.stateDir, 'runtime.json')
    const deadline = Date.now() + timeoutMs
    // runtime.json is written last, once every sidecar has loaded its steps and said hello.
    while (!fs.existsSync(runtime)) {
      if (spawnError) throw new Error(`cannot run ${file} (set STEPHOST_COMMAND to the stephost command): ${spawnError.message}`)
      if (this.child.exitCode !== null) throw new Error(`the host exited with code ${this.child.exitCode}:\n${this.log().slice(-4000)}`)
      if (Date.now() > deadline) {
        const tail = this.log().slice(-4000)
        await this.close()
        throw new Error(`the host was not ready within ${timeoutMs / 1000}s:\n${tail}`)
      }
      await sleep(50)
    }
    const info = JSON.parse(fs.readFileSync(runtime, 'utf8'))
    this.url = info.http
    this.secret = info.secret
  }

  /** The host's output so far (its sidecars' too). */
  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8')
    } catch {
      return ''
    }
  }

  async request(method, urlPath, { body, headers = {} } = {}) {
    await this.started
    const init = { method, headers: { ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      if (!Object.keys(init.headers).some((h) => h.toLowerCase() === 'content-type')) {
        init.headers['content-type'] = 'application/json'
      }
    }
    const res = await fetch(this.url + urlPath, init)
    return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: await decode(res) }
  }

  post(urlPath, options) {
    return this.request('POST', urlPath, options)
  }

  get(urlPath, options) {
    return this.request('GET', urlPath, options)
  }

  async _admin(method, urlPath, body) {
    await this.started // the secret comes with runtime.json
    const r = await this.request(method, TESTING + urlPath, { body, headers: { authorization: `Bearer ${this.secret}` } })
    if (r.status !== 200) throw new Error(`${method} ${TESTING}${urlPath} answered ${r.status}: ${JSON.stringify(r.body)}`)
    return r.body
  }

  /** Store an event as a step's ctx.emit would; resolves to {traceId, seq}. */
  emit({ topic, data, traceId } = {}) {
    return this._admin('POST', '/emit', { topic, data, traceId: traceId || '' })
  }

  /** Capture the topic's events from now on (read with watcher.getCapturedEvents()). */
  async watch(topic) {
    const { last } = await this._admin('GET', `/events?topic=${encodeURIComponent(topic)}`)
    const watcher = new Watcher(this, topic, last)
    this.watchers.push(watcher)
    return watcher
  }

  /** Resolve once every stored event was handled or dead-lettered, then update watchers. */
  async waitEvents({ timeoutMs = 30_000 } = {}) {
    const deadline = Date.now() + timeoutMs
    // Idle twice in a row: a handler's own emit is stored before its event is acked.
    for (let idleReads = 0; idleReads < 2; ) {
      const status = await this._admin('GET', '/idle')
      idleReads = status.idle ? idleReads + 1 : 0
      if (Date.now() > deadline) {
        throw new Error(`events were still pending after ${timeoutMs / 1000}s (${status.pending} queued or in flight); a handler may hang. Host log:\n${this.log().slice(-3000)}`)
      }
      await sleep(20)
    }
    for (const watcher of this.watchers) await watcher.refresh()
  }

  sleep(ms) {
    return sleep(ms)
  }

  _kill(signal) {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid, signal)
      } catch {
        // already gone
      }
    }
  }

  async close() {
    process.removeListener('exit', this._killOnExit)
    if (this.child) {
      this._kill('SIGTERM')
      const timer = setTimeout(() => this._kill('SIGKILL'), STOP_TIMEOUT_MS)
      await this._exited
      clearTimeout(timer)
    }
    fs.rmSync(this.stateDir, { recursive: true, force: true })
  }
}

/** Start a host on projectDir (default: $STEPHOST_PROJECT or the current folder). */
function createTester(projectDir, options) {
  return new Tester(projectDir, options)
}

/** A function that records each call's arguments in `.calls` (and calls `impl` if given). */
function recorder(impl) {
  const fn = (...args) => {
    fn.calls.push(args)
    return impl ? impl(...args) : undefined
  }
  fn.calls = []
  return fn
}

const copy = (value) => (value === undefined ? undefined : structuredClone(value))

function memoryState() {
  const groups = new Map()
  const group = (g) => groups.get(g) || groups.set(g, new Map()).get(g)
  return {
    groups,
    async get(g, key) {
      return copy(groups.get(g)?.get(key)) ?? null
    },
    async set(g, key, value) {
      group(g).set(key, copy(value))
      return copy(value)
    },
    async delete(g, key) {
      const old = groups.get(g)?.get(key)
      groups.get(g)?.delete(key)
      return copy(old) ?? null
    },
    async getGroup(g) {
      return [...(groups.get(g)?.values() || [])].map(copy)
    },
    async clear(g) {
      groups.delete(g)
    },
  }
}

function memoryStream() {
  const state = memoryState()
  return {
    groups: state.groups,
    sent: [],
    get: state.get,
    getGroup: state.getGroup,
    delete: state.delete,
    async set(groupId, id, data) {
      return state.set(groupId, id, { ...data, id })
    },
    async send(channel, event) {
      this.sent.push([channel, copy(event)])
    },
  }
}

function memoryStreams() {
  const streams = new Map()
  return new Proxy(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string' || name === 'then') return undefined
        if (!streams.has(name)) streams.set(name, memoryStream())
        return streams.get(name)
      },
    },
  )
}

/**
 * A context for one handler with nothing behind it: ctx.emit.calls, ctx.logger.info.calls
 * (and warn/error/debug), in-memory ctx.state and ctx.streams, ctx.traceId.
 * options: traceId, step, topic, attempt, flows; emit/logger to replace the recorders.
 */
function createMockContext(options = {}) {
  const logger = options.logger || {
    info: recorder(),
    warn: recorder(),
    error: recorder(),
    debug: recorder(),
  }
  if (!logger.child) logger.child = () => logger
  return {
    emit: options.emit || recorder(async () => undefined),
    logger,
    state: options.state || memoryState(),
    streams: options.streams || memoryStreams(),
    traceId: options.traceId || crypto.randomUUID(),
    flows: options.flows || [],
    step: options.step || 'test-step',
    topic: options.topic,
    attempt: options.attempt || 1,
  }
}

module.exports = {
  Tester,
  Watcher,
  createTester,
  createMotiaTester: createTester,
  createMockContext,
  recorder,
}
