'use strict'
// The sidecar's own log lines (lifecycle, load errors, reconnects) on stderr,
// which the host's supervisor mirrors into its log (JSON lines with
// STEPHOST_LOG_FORMAT=json for a sidecar running on its own). Handler logs do not come
// here: ctx.logger sends them to the host as LogRecords.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 }

const threshold = LEVELS[(process.env.STEPHOST_LOG_LEVEL || 'info').toLowerCase()] || LEVELS.info
const json = (process.env.STEPHOST_LOG_FORMAT || '').toLowerCase() === 'json'

function formatValue(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return /[\s="]/.test(text) ? JSON.stringify(text) : text
}

function write(level, message, fields) {
  if (LEVELS[level] < threshold) return
  let line
  if (json) {
    line = JSON.stringify({ time: new Date().toISOString(), level, logger: 'stephost.sidecar.node', message, ...fields })
  } else {
    // "LEVEL message": the host's supervisor reads the first word as the level.
    line = `${level.toUpperCase()} ${message}`
    if (fields) for (const key of Object.keys(fields)) line += ` ${key}=${formatValue(fields[key])}`
  }
  process.stderr.write(line + '\n')
}

module.exports = {
  debugEnabled: threshold <= LEVELS.debug,
  debug: (message, fields) => write('debug', message, fields),
  info: (message, fields) => write('info', message, fields),
  warn: (message, fields) => write('warn', message, fields),
  error: (message, fields) => write('error', message, fields),
}
