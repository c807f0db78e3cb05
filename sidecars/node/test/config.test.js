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
  assert.equal(config.capacity, 64)
  assert.equal(config.sidecarId, `node-${os.hostname()}-${process.pid}`)
  assert.equal(config.project, fs.realpathSync(process.cwd()))
})

test('env fills in, flags win over env, both flag spellings work', () => {
  const env = { STEPHOST_CONNECT: 'h:1', STEPHOST_SECRET: 'envsecret', STEPHOST_SIDECAR_ID: 'env-id', STEPHOST_CAPACITY: '8', STEPHOST_PROJECT: project }
  assert.deepEqual(loadConfig([], env), { connect: 'h:1', secret: 'envsecret', sidecarId: 'env-id', capacity: 8, project })
  const config = loadConfig(['--connect', 'host:2', '--secret=s', '--sidecar-id', 'flag-id', '--capacity=3', project], env)
  assert.deepEqual(config, { connect: 'host:2', secret: 's', sidecarId: 'flag-id', capacity: 3, project })
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

test('--help', () => {
  assert.deepEqual(loadConfig(['--help'], {}), { help: true })
})
