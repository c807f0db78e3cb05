#!/usr/bin/env node
'use strict'
// Entry point: `node sidecars/node/src/main.js --connect HOST:PORT [...] DIR`.
// Loads the project's JS/TS steps, dials the host, serves until SIGTERM/SIGINT.
const { loadConfig, ConfigError, USAGE } = require('./config')
const { loadProject } = require('./loader')
const { Runner } = require('./runner')
const { Connection, buildHello } = require('./connection')
const { createClient } = require('./proto')
const { createLog } = require('./log')
const { serveAgent } = require('./agent-main')

const SHUTDOWN_GRACE_MS = 10_000

function describe(err) {
  return err instanceof Error ? (err.stack || err.message) : String(err)
}

async function main() {
  let config
  try {
    config = loadConfig(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`stephost-node: ${err.message}\n\n${USAGE}`)
    return 2
  }
  if (config.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const log = createLog({ level: config.logLevel, format: config.logFormat })
  if (config.check) return check(config)
  if (config.agent) return serveAgent(config, log)

  // Step code runs with the project as working directory, as under Motia:
  // relative paths in handlers and tsconfig.json lookup (tsx) mean the project.
  process.chdir(config.project)

  // When the supervisor that reads our output is gone, its pipe is closed;
  // a failed log write must not turn into an endless uncaughtException loop.
  for (const output of [process.stdout, process.stderr]) output.on('error', () => {})

  // One bad handler must not take down every step in this process: a promise
  // it forgot to await, or a throw from its own timer, is logged, not fatal.
  process.on('unhandledRejection', (reason) => log.error('unhandled promise rejection in step code', { error: describe(reason) }))
  process.on('uncaughtException', (err) => log.error('uncaught exception in step code', { error: describe(err) }))

  // Installed before loading so a signal during start-up also exits 0.
  let connection = null
  let signalled = false
  const onSignal = (signal) => {
    // Nothing is in flight before the connection exists; a second signal stops waiting for handlers.
    if (signalled || !connection) process.exit(0)
    signalled = true
    log.info('stopping', { signal })
    connection.stop(SHUTDOWN_GRACE_MS).catch((err) => log.error('error while stopping', { error: describe(err) }))
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  // A worker an agent started stops as on SIGTERM when that agent dies without stopping it
  // (Node has no PR_SET_PDEATHSIG): no orphan keeps serving an old version.
  const agentPid = Number(process.env.STEPHOST_AGENT_PID || 0)
  if (agentPid) {
    const orphaned = setInterval(() => {
      if (process.ppid === agentPid) return
      clearInterval(orphaned)
      onSignal('agent gone')
    }, 1000)
    orphaned.unref()
  }

  const { steps, streams, loadErrors, hooks } = await loadProject(config.project, log)
  log.info('loaded', { project: config.project, steps: steps.length, streams: streams.length, loadErrors: loadErrors.length })

  const hello = buildHello(config, { steps, streams, loadErrors, hooks })
  const runner = new Runner({ steps, hooks, capacity: config.capacity, log })
  connection = new Connection({ client: createClient(config.connect), hello, runner, log })
  log.info('dialing host', { connect: config.connect, sidecarId: config.sidecarId, capacity: config.capacity })
  return connection.run()
}

/**
 * `--check`: load the project as a worker would and print what was found as
 * JSON (BuildResult's fields: steps, streams, loadErrors, hooks); exit 1 on a
 * load error. What step files print while loading goes to stderr, so stdout
 * holds the JSON alone.
 */
async function check(config) {
  process.chdir(config.project)
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = process.stderr.write.bind(process.stderr)
  let found
  try {
    found = await loadProject(config.project, null)
  } finally {
    process.stdout.write = write
  }
  const hello = buildHello(config, found)
  const manifests = { steps: hello.steps, streams: hello.streams, loadErrors: hello.loadErrors, hooks: hello.hooks }
  await new Promise((resolve) => write(JSON.stringify(manifests) + '\n', resolve))
  return found.loadErrors.length > 0 ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`stephost-node: ${describe(err)}\n`)
    process.exit(1)
  },
)
