'use strict'
// The agent (docs/agents.md): a sidecar with no project that builds versions
// and runs each in a worker process. It dials the host like any sidecar (with
// hello.agent set) and obeys AgentCommands:
//   chunk  the bundle the next command of the same request uses (digest checked)
//   build  unpack the source, `npm ci`, load every step as a worker would
//          (`--check`), send back the built tree as a bundle, then the result
//   start  unpack a bundle into <work-dir>/versions/<version> and run a worker
//          (this sidecar in its normal mode there, STEPHOST_VERSION set), which
//          dials the host itself; its states and output lines go to the host
//   stop   SIGTERM the worker (it drains), SIGKILL after the drain, remove the tree
//   cancel stop a build and its whole process group
// It is the Connection's runner too: an agent runs no steps itself.
const fs = require('node:fs')
const path = require('node:path')
const bundle = require('./bundle')
const { build, workerCommand } = require('./build')
const { Group } = require('./processes')

const SAFE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const DEFAULT_BUILD_TIMEOUT_S = 600

class Agent {
  constructor({ config, workDir, send, log }) {
    this.config = config
    this.work = workDir
    this.send = send // on the current stream: worker states and output
    this.log = log
    this.assemblies = new Map() // requestId -> Assembly
    this.received = new Map() // requestId -> Buffer | BundleError
    this.builds = new Map() // requestId -> { abort: AbortController, done: Promise }
    this.workers = new Map() // version -> { workerId, group, stopping, watched }
    this.count = 0
  }

  // --- the runner the connection wants ------------------------------------

  submit(session, invocation) {
    const error = { type: 'AgentRunsNoSteps', message: 'an agent runs no steps', stack: '', retryable: true, retryAfterSeconds: 0 }
    session.send({ result: { invocationId: invocation.invocationId, error } })
  }

  cancel() {}

  ack() {}

  abandon() {} // builds and workers carry on: the agent dials again, the workers on their own

  /** The agent is stopping: so do its builds and workers (no orphans). */
  async drain(graceMs) {
    for (const b of this.builds.values()) b.abort.abort(new Error('the agent is stopping'))
    await Promise.allSettled([
      ...[...this.builds.values()].map((b) => b.done),
      ...[...this.workers.values()].map((w) => this.stopWorker(w, graceMs)),
    ])
    return true
  }

  // --- commands -----------------------------------------------------------

  command(session, cmd) {
    const reply = (event) => session.send({ agent: { requestId: cmd.requestId, ...event } })
    switch (cmd.op) {
      case 'chunk':
        this.chunk(cmd.requestId, cmd.chunk)
        break
      case 'build': {
        const abort = new AbortController()
        const done = this.build(cmd.requestId, cmd.build, reply, abort.signal).finally(() => this.builds.delete(cmd.requestId))
        this.builds.set(cmd.requestId, { abort, done })
        break
      }
      case 'start':
        this.start(cmd.requestId, cmd.start, reply).catch((err) => this.log.error('start failed', { error: err.message }))
        break
      case 'stop':
        this.stop(cmd.stop, reply).catch((err) => this.log.error('stop failed', { error: err.message }))
        break
      case 'cancel':
        this.builds.get(cmd.cancel.targetRequestId)?.abort.abort(new Error('the build was cancelled'))
        break
      default:
        break
    }
  }

  chunk(requestId, chunk) {
    if (this.received.has(requestId)) return // failed already
    if (!this.assemblies.has(requestId)) this.assemblies.set(requestId, new bundle.Assembly())
    try {
      const data = this.assemblies.get(requestId).add(chunk)
      if (data) {
        this.assemblies.delete(requestId)
        this.received.set(requestId, data)
      }
    } catch (err) {
      this.assemblies.delete(requestId)
      this.received.set(requestId, err)
    }
  }

  takeBundle(requestId) {
    const got = this.received.get(requestId)
    this.received.delete(requestId)
    this.assemblies.delete(requestId)
    if (got instanceof Error) throw got
    if (!got) throw new bundle.BundleError('no bundle was sent before the command')
    return got
  }

  // --- build --------------------------------------------------------------

  async build(requestId, req, reply, signal) {
    const started = performance.now()
    const tree = path.join(this.work, 'builds', requestId)
    const line = (text, stream = 'stdout') => reply({ log: { line: text, stream, version: req.version } })
    const seconds = req.timeoutSeconds || DEFAULT_BUILD_TIMEOUT_S
    const deadline = AbortSignal.timeout(seconds * 1000)
    const both = AbortSignal.any([signal, deadline])
    let result
    try {
      const source = this.takeBundle(requestId)
      fs.rmSync(tree, { recursive: true, force: true })
      bundle.unpack(source, tree)
      result = await build(tree, { ...process.env, ...req.env }, line, both)
      if (result.ok) {
        const built = bundle.pack(tree)
        result.bundleDigest = bundle.digest(built)
        result.bundleSize = built.length
        for (const chunk of bundle.chunks(built)) reply({ chunk })
      }
    } catch (err) {
      if (deadline.aborted) result = { ok: false, error: `the build ran past its deadline of ${seconds}s` }
      else if (signal.aborted) result = { ok: false, error: 'the build was cancelled' }
      else if (err instanceof bundle.BundleError) result = { ok: false, error: `the source bundle: ${err.message}` }
      else result = { ok: false, error: `the agent failed: ${err.message}` }
    } finally {
      fs.rmSync(tree, { recursive: true, force: true })
    }
    result.seconds = (performance.now() - started) / 1000
    line(`build ${result.ok ? 'succeeded' : `failed: ${result.error}`} in ${result.seconds.toFixed(1)}s`)
    reply({ buildResult: result })
  }

  // --- workers ------------------------------------------------------------

  async start(requestId, req, reply) {
    const state = (workerState) => reply({ worker: { version: req.version, ...workerState } })
    const running = this.workers.get(req.version)
    if (running) return state({ state: 'running', workerId: running.workerId }) // asked twice
    let worker
    try {
      if (!SAFE_VERSION.test(req.version)) throw new Error(`version ${JSON.stringify(req.version)} is not a safe folder name`)
      const root = this.unpackVersion(req.version, this.takeBundle(requestId), req.bundleDigest)
      const workerId = `${this.config.sidecarId}-${req.version}-${++this.count}`
      state({ state: 'starting', workerId })
      const env = {
        ...process.env,
        ...req.env,
        STEPHOST_VERSION: req.version,
        STEPHOST_SIDECAR_ID: workerId,
        STEPHOST_CONNECT: this.config.connect,
        STEPHOST_SECRET: this.config.secret,
        STEPHOST_AGENT_PID: String(process.pid), // the worker stops when its agent is gone
      }
      const onLine = (line, stream) => this.send({ agent: { log: { line, stream, version: req.version } } })
      worker = { version: req.version, workerId, stopping: false, group: new Group(workerCommand(root), { cwd: root, env, onLine }) }
    } catch (err) {
      return state({ state: 'exited', exitCode: -1, detail: `could not start: ${err.message}` })
    }
    this.workers.set(req.version, worker)
    worker.watched = this.watch(worker)
    state({ state: 'running', workerId: worker.workerId })
  }

  unpackVersion(version, data, expected) {
    const found = bundle.digest(data)
    if (expected && found !== expected) throw new bundle.BundleError(`the bundle's digest is ${found}, StartVersion says ${expected}`)
    const root = path.join(this.work, 'versions', version)
    const marker = `${root}.digest`
    if (fs.existsSync(root) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === found) return root
    fs.rmSync(root, { recursive: true, force: true })
    bundle.unpack(data, root)
    fs.writeFileSync(marker, found)
    return root
  }

  async watch(worker) {
    const code = await worker.group.exited
    if (worker.stopping) return // stop() reports it
    this.workers.delete(worker.version)
    const detail = worker.group.tail.join('\n')
    this.send({ agent: { worker: { version: worker.version, state: 'exited', exitCode: code, detail, workerId: worker.workerId } } })
  }

  async stop(req, reply) {
    const worker = this.workers.get(req.version)
    const code = worker ? await this.stopWorker(worker, req.drainSeconds * 1000) : 0
    if (!req.keepFiles && SAFE_VERSION.test(req.version)) {
      const root = path.join(this.work, 'versions', req.version)
      fs.rmSync(root, { recursive: true, force: true })
      fs.rmSync(`${root}.digest`, { force: true })
    }
    reply({ worker: { version: req.version, state: 'stopped', exitCode: code, workerId: worker ? worker.workerId : '' } })
  }

  async stopWorker(worker, graceMs) {
    worker.stopping = true
    const code = await worker.group.stop(graceMs)
    await worker.watched
    this.workers.delete(worker.version)
    return code
  }
}

module.exports = { Agent }
