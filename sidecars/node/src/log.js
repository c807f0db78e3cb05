'use strict'
// The sidecar's own log lines (lifecycle, load errors, reconnects) on stderr,
// which the host's supervisor mirrors into its log. The same settings in every
// sidecar language: STEPHOST_LOG_LEVEL (debug|info|warn|error, default info)
// and STEPHOST_LOG_FORMAT (text: "LEVEL message key=value ..."; json: one
// object per line with time (RFC 3339), level, msg and the fields). Handler
// logs do not come here: ctx.logger sends them to the host as LogRecords.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 }
const FORMATS = ['text', 'json']

function formatValue(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return /[\s="]/.test(text) ? JSON.stringify(text) : text
}

/** One line (without its newline) in `format`. */
function formatLine(format, level, msg, fields, now = new Date()) {
  if (format === 'json') {
    // time/level/msg first and authoritative: a field of the same name cannot replace them.
    const record = { time: now.toISOString(), level, msg }
    if (fields) for (const key of Object.keys(fields)) if (!(key in record)) record[key] = fields[key]
    return JSON.stringify(record)
  }
  // "LEVEL message": the host's supervisor reads the first word as the level.
  let line = `${level.toUpperCase()} ${msg}`
  if (fields) for (const key of Object.keys(fields)) line += ` ${key}=${formatValue(fields[key])}`
  return line
}

/** A logger writing lines at or above `level` in `format` (validated by config.js). */
function createLog({ level = 'info', format = 'text', write = (line) => process.stderr.write(line) } = {}) {
  const threshold = LEVELS[level]
  const at = (lvl) => (msg, fields) => {
    if (LEVELS[lvl] >= threshold) write(formatLine(format, lvl, msg, fields) + '\n')
  }
  return { debugEnabled: threshold <= LEVELS.debug, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

module.exports = { createLog, formatLine, LEVELS, FORMATS }
