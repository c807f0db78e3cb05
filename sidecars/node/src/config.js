'use strict'
// The sidecar's settings, built once from CLI flags over STEPHOST_* env over
// defaults (docs/protocol.md, "Launch"). Errors name the flag or variable and
// the bad value.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { LEVELS, FORMATS } = require('./log')

const USAGE = `usage: node sidecars/node/src/main.js [--connect HOST:PORT] [--secret S] [--sidecar-id ID] [--capacity N] [DIR]
       node sidecars/node/src/main.js --check [DIR]
       node sidecars/node/src/main.js --agent [--work-dir DIR] [--connect HOST:PORT] [--secret S] [--sidecar-id ID]

Runs the *.step.ts|js|mjs|cjs|mts|cts files under DIR/steps and DIR/src and
serves them to a stephost host over one gRPC stream.

  --connect HOST:PORT   the host's sidecar port    (STEPHOST_CONNECT, default 127.0.0.1:7070)
  --secret S            shared secret for the hello (STEPHOST_SECRET)
  --sidecar-id ID       identity in the hello       (STEPHOST_SIDECAR_ID, default node-<hostname>-<pid>)
  --capacity N          invocations in flight       (STEPHOST_CAPACITY, default 256)
  DIR                   project root                (STEPHOST_PROJECT, default .)
  --check               load DIR's steps, print them (and load errors, hooks) as JSON, exit 1 on a load error
  --agent               run no project: build and run the versions the host sends (docs/agents.md)
  --work-dir DIR        the agent's folder          (STEPHOST_WORK_DIR, default a temp dir)

Environment only: STEPHOST_VERSION (the project version in the hello; empty means
"fs"), STEPHOST_LOG_LEVEL (debug|info|warn|error, default info) and
STEPHOST_LOG_FORMAT (text|json, default text).
`

class ConfigError extends Error {}

const FLAGS = {
  '--connect': 'connect',
  '--secret': 'secret',
  '--sidecar-id': 'sidecarId',
  '--capacity': 'capacity',
  '--work-dir': 'workDir',
}
// Flags that take no value.
const SWITCHES = { '--check': 'check', '--agent': 'agent' }

function parseArgs(argv) {
  const flags = {}
  const positional = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '-h' || arg === '--help') return { help: true }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('--') || arg === '-') {
      positional.push(arg)
      continue
    }
    if (SWITCHES[arg]) {
      flags[SWITCHES[arg]] = { value: true, source: arg }
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg : arg.slice(0, eq)
    const key = FLAGS[name]
    if (!key) throw new ConfigError(`unknown option ${name}`)
    let value
    if (eq !== -1) value = arg.slice(eq + 1)
    // A following flag is not a value (an empty shell variable before it, most likely);
    // `--secret=--odd` still passes a value that starts with dashes.
    else if (i + 1 < argv.length && !FLAGS[argv[i + 1].split('=')[0]]) value = argv[++i]
    else throw new ConfigError(`${name} needs a value (use ${name}=VALUE for an empty one)`)
    flags[key] = { value, source: name }
  }
  if (positional.length > 1) throw new ConfigError(`expected one project directory, got ${positional.length}: ${positional.join(' ')}`)
  if (positional.length === 1) flags.project = { value: positional[0], source: 'DIR' }
  return { flags }
}

/** An env choice, case-insensitive; empty or unset is the default. */
function pickChoice(env, name, allowed, fallback, aliases = {}) {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = aliases[raw.toLowerCase()] || raw.toLowerCase()
  if (!allowed.includes(value)) throw new ConfigError(`${name}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`)
  return value
}

/**
 * Flags over env over defaults -> { connect, secret, sidecarId, capacity,
 * project, version, logLevel, logFormat }.
 */
function loadConfig(argv, env = process.env) {
  const parsed = parseArgs(argv)
  if (parsed.help) return { help: true }
  const { flags } = parsed
  const pick = (key, envName, fallback) => {
    if (flags[key]) return flags[key]
    if (env[envName] !== undefined && env[envName] !== '') return { value: env[envName], source: envName }
    return { value: fallback, source: 'default' }
  }

  const connect = pick('connect', 'STEPHOST_CONNECT', '127.0.0.1:7070')
  if (!/^[^\s]+:\d+$/.test(connect.value) && !connect.value.startsWith('unix:')) {
    throw new ConfigError(`${connect.source}: expected HOST:PORT, got ${JSON.stringify(connect.value)}`)
  }

  const capacity = pick('capacity', 'STEPHOST_CAPACITY', '256')
  const capacityValue = Number(capacity.value)
  if (!/^\s*\d+\s*$/.test(String(capacity.value)) || !Number.isSafeInteger(capacityValue) || capacityValue < 1) {
    throw new ConfigError(`${capacity.source}: expected a positive integer, got ${JSON.stringify(capacity.value)}`)
  }

  const project = pick('project', 'STEPHOST_PROJECT', '.')
  const projectDir = path.resolve(project.value)
  const stat = fs.statSync(projectDir, { throwIfNoEntry: false })
  if (!stat || !stat.isDirectory()) {
    throw new ConfigError(`${project.source}: not a directory: ${JSON.stringify(project.value)}`)
  }

  return {
    connect: connect.value,
    secret: pick('secret', 'STEPHOST_SECRET', '').value,
    sidecarId: pick('sidecarId', 'STEPHOST_SIDECAR_ID', `node${flags.agent ? '-agent' : ''}-${os.hostname()}-${process.pid}`).value,
    capacity: capacityValue,
    project: fs.realpathSync(projectDir),
    version: env.STEPHOST_VERSION || '',
    check: Boolean(flags.check),
    agent: Boolean(flags.agent),
    workDir: pick('workDir', 'STEPHOST_WORK_DIR', '').value,
    // "warning" is how the host spells it, and children inherit the host's environment.
    logLevel: pickChoice(env, 'STEPHOST_LOG_LEVEL', Object.keys(LEVELS), 'info', { warning: 'warn' }),
    logFormat: pickChoice(env, 'STEPHOST_LOG_FORMAT', FORMATS, 'text'),
  }
}

module.exports = { loadConfig, ConfigError, USAGE }
