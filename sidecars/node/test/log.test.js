'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { createLog, formatLine } = require('../src/log')

function capture(options) {
  const lines = []
  const log = createLog({ ...options, write: (line) => lines.push(line) })
  return { log, lines }
}

test('text: "LEVEL message key=value", values with spaces or quotes quoted', () => {
  const { log, lines } = capture({})
  log.info('connected', { host: 'h1', reason: 'the host said "no"', n: 3, obj: { a: 1 } })
  assert.deepEqual(lines, ['INFO connected host=h1 reason="the host said \\"no\\"" n=3 obj="{\\"a\\":1}"\n'])
})

test('json: one object per line with time (RFC 3339), level, msg and the fields', () => {
  const { log, lines } = capture({ format: 'json' })
  log.warn('reconnecting', { attempt: 2, msg: 'cannot replace msg', level: 'nor level' })
  assert.equal(lines.length, 1)
  assert.ok(lines[0].endsWith('}\n') && !lines[0].slice(0, -1).includes('\n'))
  const record = JSON.parse(lines[0])
  assert.deepEqual(Object.keys(record), ['time', 'level', 'msg', 'attempt'])
  assert.deepEqual([record.level, record.msg, record.attempt], ['warn', 'reconnecting', 2])
  assert.match(record.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/)
  assert.equal(formatLine('json', 'info', 'm', undefined, new Date(0)), '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"m"}')
})

test('the level is a threshold; debugEnabled only at debug', () => {
  for (const [level, expected] of [['debug', 4], ['info', 3], ['warn', 2], ['error', 1]]) {
    const { log, lines } = capture({ level })
    for (const at of ['debug', 'info', 'warn', 'error']) log[at]('x')
    assert.equal(lines.length, expected, level)
    assert.equal(log.debugEnabled, level === 'debug')
  }
})
