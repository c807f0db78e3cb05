'use strict'
// The context layer: what a handler receives. Motia's shape (`traceId`, `emit`,
// `logger`, `state`, `streams`) plus what every stephost language offers
// (`step`, `topic`, `attempt`; tests/conformance/README.md), built from plain
// closures so that destructuring (`async (req, { emit, logger, step }) => ...`)
// works: nothing relies on `this`. emit/state/streams are HostCalls on the
// sidecar's stream.

const parse = (json) => (json ? JSON.parse(json) : null)
const toJson = (value) => (value === undefined ? 'null' : JSON.stringify(value))
const ignore = () => undefined

function requireString(what, value) {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${what} must be a non-empty string, got ${value === '' ? "''" : typeof value}`)
  }
  return value
}

// Errors in log fields serialise as {} by default; keep what explains them.
function logReplacer(key, value) {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack }
  if (typeof value === 'bigint') return value.toString()
  return value
}

function fieldsToJson(fields) {
  if (fields === undefined || fields === null) return ''
  const object = typeof fields === 'object' && !Array.isArray(fields) && !(fields instanceof Error) ? fields : { value: fields }
  try {
    return JSON.stringify(object, logReplacer)
  } catch (err) {
    // Logging must never throw into the handler.
    return JSON.stringify({ unserialisableFields: String(err.message) })
  }
}

function createLogger(session, invocationId, baseFields) {
  const write = (level) => (message, fields) => {
    const merged = baseFields && fields !== undefined && fields !== null
      ? { ...baseFields, ...(typeof fields === 'object' ? fields : { value: fields }) }
      : fields === undefined || fields === null ? baseFields : fields
    session.sendLog({
      invocationId,
      level,
      message: typeof message === 'string' ? message : fieldsToJson(message) || String(message),
      fieldsJson: fieldsToJson(merged),
      timeUnixMs: Date.now(),
    })
  }
  const info = write('info')
  return {
    info,
    log: info,
    warn: write('warn'),
    error: write('error'),
    debug: write('debug'),
    // A logger whose records always carry `fields` (Motia's logger.child).
    child: (fields) => createLogger(session, invocationId, { ...baseFields, ...fields }),
  }
}

// state.update tries this many times before it gives up with a StateConflict error.
const UPDATE_ATTEMPTS = 100

function createState(call) {
  const op = (name, group, key, value, expectedRevision) => {
    requireString('state group', group)
    const state = { op: name, group }
    if (key !== undefined) state.key = requireString('state key', key)
    if (value !== undefined) state.valueJson = value
    if (expectedRevision !== undefined) state.expectedRevision = expectedRevision
    return call({ state }).then(parse)
  }
  // Atomic read-modify-write: fn(old) is written only if nobody wrote since the read;
  // otherwise fn runs again on the fresh value (so it may run more than once).
  const update = async (group, key, fn) => {
    if (typeof fn !== 'function') throw new TypeError('state.update needs a function (old) => new')
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const read = await op('GET_REVISION', group, key)
      const value = await fn(read.value)
      try {
        await op('SET_IF_REVISION', group, key, toJson(value), read.revision)
        return value
      } catch (err) {
        if (err.name !== 'StateConflict') throw err
      }
      // A short random pause lets colliding writers fall out of step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt + 1, 10)))
    }
    const err = new Error(
      `state.update('${group}', '${key}') lost to other writers ${UPDATE_ATTEMPTS} times in a row; ` +
        'the key is too contended: retry later or spread the writes over more keys',
    )
    err.name = 'StateConflict'
    throw err
  }
  return {
    update,
    get: async (group, key) => op('GET', group, key),
    set: async (group, key, value) => op('SET', group, key, toJson(value)),
    delete: async (group, key) => op('DELETE', group, key),
    getGroup: async (group) => op('GET_GROUP', group),
    clear: async (group) => op('CLEAR', group).then(ignore),
  }
}

function createStream(call, name) {
  const op = (opName, groupId, id, data) => {
    requireString('stream groupId', groupId)
    const stream = { op: opName, stream: name, groupId }
    if (id !== undefined && id !== null) stream.id = String(id)
    if (data !== undefined) stream.dataJson = data
    return call({ stream }).then(parse)
  }
  return {
    get: async (groupId, id) => op('GET', groupId, requireString('stream item id', id)),
    set: async (groupId, id, data) => op('SET', groupId, requireString('stream item id', id), toJson(data)),
    delete: async (groupId, id) => op('DELETE', groupId, requireString('stream item id', id)),
    getGroup: async (groupId) => op('GET_GROUP', groupId),
    // Motia: send({ groupId, id? }, { type, data }) -> ephemeral event to subscribers.
    send: async (channel, event) => {
      if (!channel || typeof channel !== 'object') throw new TypeError('stream send needs a channel {groupId, id?}')
      if (!event || typeof event !== 'object') throw new TypeError('stream send needs an event {type, data}')
      requireString('stream event type', event.type)
      return op('SEND', channel.groupId, channel.id, toJson({ type: event.type, data: event.data })).then(ignore)
    },
  }
}

// ctx.streams.<name>: any name works (streams may be defined by another
// language's files); each accessor is made once per invocation.
function createStreams(call) {
  const made = new Map()
  return new Proxy(Object.create(null), {
    get(target, name) {
      if (typeof name !== 'string') return undefined
      let stream = made.get(name)
      if (!stream) made.set(name, (stream = createStream(call, name)))
      return stream
    },
  })
}

/**
 * The context for one invocation. `session` is the live stream it arrived on
 * (`call(invocationId, op)` -> Promise of result_json, `sendLog(record)`).
 */
function createContext(session, invocation, flows = []) {
  const invocationId = invocation.invocationId
  const call = (op) => session.call(invocationId, op)
  let state
  let streams
  let logger
  const emit = async (event) => {
    if (!event || typeof event !== 'object') throw new TypeError('emit needs an event {topic, data}')
    const emitCall = { topic: requireString('emit topic', event.topic), dataJson: toJson(event.data) }
    const group = event.messageGroupId
    if (group !== undefined && group !== null && group !== '') emitCall.messageGroupId = String(group)
    await call({ emit: emitCall })
  }
  // state/streams/logger are built on first use: most handlers touch one or two.
  return {
    step: invocation.step,
    // The topic an event arrived on; null for api and cron steps.
    topic: invocation.topic || null,
    traceId: invocation.traceId,
    // W3C traceparent of this invocation's span ('' when the host records none): send it on
    // outgoing calls so they join the trace.
    traceparent: invocation.traceparent || '',
    attempt: invocation.attempt,
    // The step config's `flows` (Motia's context has them); the invocation does not carry them.
    flows: [...flows],
    emit,
    get state() {
      return state || (state = createState(call))
    },
    get streams() {
      return streams || (streams = createStreams(call))
    },
    get logger() {
      return logger || (logger = createLogger(session, invocationId))
    },
  }
}

module.exports = { createContext, createLogger }
