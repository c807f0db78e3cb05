'use strict'
// `--agent`: dial the host as an agent and obey its commands (agent.js) until
// SIGTERM/SIGINT; the agent's builds and workers stop with it.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Agent } = require('./agent')
const { Connection, buildHello } = require('./connection')
const { createClient } = require('./proto')

const SHUTDOWN_GRACE_MS = 10_000

async function serveAgent(config, log) {
  const temp = config.workDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'stephost-agent-'))
  const work = path.resolve(config.workDir || temp)
  fs.mkdirSync(work, { recursive: true })
  const hello = { ...buildHello(config, { steps: [], streams: [], loadErrors: [], hooks: [] }), agent: true, capacity: 1 }
  let connection = null
  const agent = new Agent({ config, workDir: work, send: (message) => connection.send(message), log })
  connection = new Connection({ client: createClient(config.connect), hello, runner: agent, log })
  let signalled = false
  const onSignal = (signal) => {
    if (signalled) process.exit(0)
    signalled = true
    log.info('stopping', { signal })
    connection.stop(SHUTDOWN_GRACE_MS).catch((err) => log.error('error while stopping', { error: err.message }))
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  log.info('node agent dialing host', { connect: config.connect, sidecarId: config.sidecarId, workDir: work })
  try {
    return await connection.run()
  } finally {
    await agent.drain(SHUTDOWN_GRACE_MS)
    if (temp) fs.rmSync(temp, { recursive: true, force: true })
  }
}

module.exports = { serveAgent }
