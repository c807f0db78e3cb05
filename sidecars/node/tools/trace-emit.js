'use strict'
// Where one emit's time goes inside the Node sidecar: a development aid, loaded only on
// request, so the sidecar's own path carries no timing code.
//
//   STEPHOST_TRACE_EMIT=/tmp/emit.txt NODE_OPTIONS="--require $PWD/sidecars/node/tools/trace-emit.js" \
//     stephost start PROJECT ...
//
// At exit the sidecar writes the median of each stretch of an invocation's life, in ms:
// invocation read -> handler's host call queued -> call handed to gRPC -> answer read ->
// result queued (handler resumed and returned) -> result handed to gRPC. The stretch from
// the call handed to gRPC to its answer read is the host's, NATS's and the wire's. Times are process.hrtime, taken where the sidecar's connection layer
// sees each message (after gRPC decoded it; before gRPC encodes it).
const fs = require('node:fs')
const path = require('node:path')

const STAMPS = ['read', 'call', 'callSent', 'answer', 'result', 'resultSent']

const nowMs = () => Number(process.hrtime.bigint()) / 1e6

/**
 * Wraps Session's receive/send/takeBatch to stamp each invocation; returns the recorder
 * ({ rows, summary(), uninstall() }). A row is complete once its result was handed to gRPC.
 */
function install(Session, now = nowMs) {
  const open = new Map() // invocationId -> stamps
  const callOwner = new Map() // callId -> invocationId
  const rows = []
  const stamp = (invocationId, name, t) => {
    const row = open.get(invocationId)
    if (row && row[name] === undefined) row[name] = t
  }
  const original = { receive: Session.prototype.receive, send: Session.prototype.send, takeBatch: Session.prototype.takeBatch }

  Session.prototype.receive = function (batch) {
    const t = now()
    for (const message of batch.messages) {
      if (message.kind === 'invocation') open.set(message.invocation.invocationId, { read: t })
      else if (message.kind === 'callResult') {
        stamp(callOwner.get(message.callResult.callId), 'answer', t)
        callOwner.delete(message.callResult.callId)
      }
    }
    return original.receive.call(this, batch)
  }
  Session.prototype.send = function (message) {
    if (message.call) {
      callOwner.set(message.call.callId, message.call.invocationId)
      stamp(message.call.invocationId, 'call', now())
    } else if (message.result) {
      stamp(message.result.invocationId, 'result', now())
    }
    return original.send.call(this, message)
  }
  Session.prototype.takeBatch = function () {
    const messages = original.takeBatch.call(this)
    const t = now()
    for (const message of messages) {
      if (message.call) stamp(message.call.invocationId, 'callSent', t)
      else if (message.result) {
        const id = message.result.invocationId
        stamp(id, 'resultSent', t)
        if (open.has(id)) rows.push(open.get(id))
        open.delete(id)
      }
    }
    return messages
  }

  return {
    rows,
    summary: () => summarise(rows),
    uninstall() {
      Object.assign(Session.prototype, original)
    },
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * One line per stretch between consecutive stamps a row has (a step that makes no host call
 * goes from read to result): its median ms and how many rows had it; then the whole stay.
 */
function summarise(rows) {
  const stretches = new Map() // "from -> to" -> [ms]
  const add = (label, ms) => {
    if (!stretches.has(label)) stretches.set(label, [])
    stretches.get(label).push(ms)
  }
  for (const row of rows) {
    const present = STAMPS.filter((name) => row[name] !== undefined)
    for (let i = 1; i < present.length; i++) add(`${present[i - 1]} -> ${present[i]}`, row[present[i]] - row[present[i - 1]])
    add('read -> resultSent (all)', row.resultSent - row.read)
  }
  const lines = [...stretches].map(([label, ms]) => `${label}: p50 ${median(ms).toFixed(3)} ms (n=${ms.length})`)
  return lines.join('\n') + '\n'
}

// Preloaded into a sidecar (its entry is src/main.js): trace it, and write the summary at exit.
const out = process.env.STEPHOST_TRACE_EMIT
const entry = process.argv[1] || ''
if (out && require.main === undefined && path.basename(entry) === 'main.js') {
  const { Session } = require(path.join(path.dirname(entry), 'connection.js'))
  const recorder = install(Session)
  process.on('exit', () => fs.writeFileSync(out, recorder.summary()))
}

module.exports = { install, summarise, STAMPS }
