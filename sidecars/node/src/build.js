'use strict'
// The Node build of a version, run by the agent in the unpacked source tree:
// `npm ci --omit=dev` when the project has a lockfile, then every step is
// loaded exactly as a worker would (this sidecar's `--check` mode). Each
// command runs in its own process group; aborting the build kills it.
const fs = require('node:fs')
const path = require('node:path')
const { run } = require('./processes')

const MAIN = path.join(__dirname, 'main.js')
const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json']
// Test-only: the build first sleeps this many seconds in a child of its process
// group, so a test can cancel a build deterministically and see its group go.
const TEST_SLEEP = 'STEPHOST_AGENT_TEST_BUILD_SLEEP'

function workerCommand(root) {
  return [process.execPath, MAIN, root]
}

function failed(error, file = '') {
  return { ok: false, error: file ? `${file}: ${error}` : error, file }
}

const lastLine = (group, code) => group.tail[group.tail.length - 1] || `exit code ${code}`

/** Build `tree`; `line(text, stream)` gets the output; resolves with a BuildResult object. */
async function build(tree, env, line, signal) {
  const opts = { cwd: tree, env, onLine: line, signal }
  if (env[TEST_SLEEP]) {
    line(`test pause: sleeping ${env[TEST_SLEEP]}s`, 'stdout')
    await run(['sh', '-c', `sleep ${env[TEST_SLEEP]} & wait`], opts)
  }
  const lockfile = LOCKFILES.find((name) => fs.existsSync(path.join(tree, name)))
  if (lockfile) {
    const { code, group } = await run(['npm', 'ci', '--omit=dev', '--no-audit', '--no-fund', '--no-update-notifier'], opts)
    if (code !== 0) return failed(`npm ci failed: ${lastLine(group, code)}`, lockfile)
  }
  return check(tree, env, line, signal)
}

/** Load the project as a worker would; `--check` prints the manifests' JSON on stdout. */
async function check(tree, env, line, signal) {
  const out = []
  const collect = (text, stream) => (stream === 'stdout' ? out.push(text) : line(text, stream))
  const { code, group } = await run([process.execPath, MAIN, '--check', '.'], { cwd: tree, env, onLine: collect, signal, echo: line })
  let found
  try {
    found = JSON.parse(out.join('\n'))
  } catch {
    return failed(`loading the steps failed (exit ${code}): ${lastLine(group, code)}`)
  }
  const result = { steps: [], streams: [], loadErrors: [], hooks: [], ...found }
  if (result.loadErrors.length > 0) {
    const first = result.loadErrors[0]
    return { ...result, ...failed(first.message, first.file) }
  }
  return { ...result, ok: code === 0, error: code === 0 ? '' : `loading the steps failed (exit ${code})` }
}

module.exports = { build, check, workerCommand, TEST_SLEEP }
