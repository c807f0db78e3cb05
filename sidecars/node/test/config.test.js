'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const os = require('node:os')
const fs = require('node:fs')
const { loadConfig } = require('../src/config')

const project = fs.realpathSync(os.tmpdir())

test('defaults per docs/protocol.md', () => {
  const config = loadConfig([], {})
  assert.equal(config.connect, '127.0.0.1:7070')
  assert.equal(config.secret, '')
  assert.equal(config.capacity, 256)
  assert.equal(config.sidecarId, `node-${os.hostname()}-${process.pid}`)
  assert.equal(config.project, fs.realpathSync(process.cwd()))
  assert.equal(config.version, '')
  assert.equal(config.logLevel, 'info')
  assert.equal(config.logFormat, 'text')
})

test('STEPHOST_VERSION, STEPHOST_LOG_LEVEL and STEPHOST_LOG_FORMAT come from env, checked', () => {
  const config = loadConfig([], { STEPHOST_VERSION: 'v7', STEPHOST_LOG_LEVEL: 'DEBUG', STEPHOST_LOG_FORMAT: 'json' })
  assert.deepEqual([config.version, config.logLevel, config.logFormat], ['v7', 'debug', 'json'])
  for (const level of ['debug', 'info', 'warn', 'error']) assert.equal(loadConfig([], { STEPHOST_LOG_LEVEL: level }).logLevel, level)
  // The host spells it "warning", and its children inherit its environment.
  assert.equal(loadConfig([], { STEPHOST_LOG_LEVEL: 'warning' }).logLevel, 'warn')
  assert.deepEqual([loadConfig([], { STEPHOST_LOG_LEVEL: '', STEPHOST_LOG_FORMAT: '' })].map((c) => [c.logLevel, c.logFormat]), [['info', 'text']])
  assert.throws(() => loadConfig([], { STEPHOST_LOG_LEVEL: 'loud' }), /STEPHOST_LOG_LEVEL: expected one of debug, info, warn, error, got "loud"/)
  assert.throws(() => loadConfig([], { STEPHOST_LOG_FORMAT: 'xml' }), /STEPHOST_LOG_FORMAT: expected one of text, json, got "xml"/)
})

test('env fills in, flags win over env, both flag spellings work', () => {
  const env = { STEPHOST_CONNECT: 'h:1', STEPHOST_SECRET: 'envsecret', STEPHOST_SIDECAR_ID: 'env-id', STEPHOST_CAPACITY: '8', STEPHOST_PROJECT: project }
  const rest = { version: '', logLevel: 'info', logFormat: 'text', check: false, agent: false, workDir: '' }
  assert.deepEqual(loadConfig([], env), { connect: 'h:1', secret: 'envsecret', sidecarId: 'env-id', capacity: 8, project, ...rest })
  const config = loadConfig(['--connect', 'host:2', '--secret=s', '--sidecar-id', 'flag-id', '--capacity=3', project], env)
  assert.deepEqual(config, { connect: 'host:2', secret: 's', sidecarId: 'flag-id', capacity: 3, project, ...rest })
})

test('errors name the flag or variable and the bad value', () => {
  assert.throws(() => loadConfig(['--capacity', '0'], {}), /^Error: --capacity: expected a positive integer, got "0"$/)
  assert.throws(() => loadConfig([], { STEPHOST_CAPACITY: 'lots' }), /STEPHOST_CAPACITY: expected a positive integer, got "lots"/)
  assert.throws(() => loadConfig(['--connect', 'nohost'], {}), /--connect: expected HOST:PORT, got "nohost"/)
  assert.throws(() => loadConfig(['/does/not/exist'], {}), /DIR: not a directory: "\/does\/not\/exist"/)
  assert.throws(() => loadConfig(['--bogus'], {}), /unknown option --bogus/)
  assert.throws(() => loadConfig(['--secret'], {}), /--secret needs a value/)
  assert.throws(() => loadConfig(['--secret', '--capacity', '2'], {}), /--secret needs a value/)
  assert.equal(loadConfig(['--secret=', '--capacity', '2'], {}).secret, '')
  assert.throws(() => loadConfig(['a', 'b'], {}), /expected one project directory/)
})

test('--check and --agent take no value; --work-dir does (or STEPHOST_WORK_DIR)', () => {
  const agent = loadConfig(['--agent', '--work-dir', '/w', '--connect', 'h:1'], {})
  assert.deepEqual([agent.agent, agent.check, agent.workDir, agent.connect], [true, false, '/w', 'h:1'])
  assert.match(agent.sidecarId, /^node-agent-/)
  assert.equal(loadConfig(['--agent'], { STEPHOST_WORK_DIR: '/env' }).workDir, '/env')
  const check = loadConfig(['--check', project], {})
  assert.deepEqual([check.check, check.agent, check.project], [true, false, project])
})

test('--help', () => {
  assert.deepEqual(loadConfig(['--help'], {}), { help: true })
})
