'use strict'
// What an api handler sees of the HTTP request beyond JSON, and what kind of
// body its response has. The host parses the body by content type and says
// which kind it made in the payload's "bodyKind"; the exact bytes ride beside
// the JSON in Invocation.raw_body, so they are never re-encoded. A JSON body
// the payload leaves out (protocol 2) is read from those bytes, and each
// multipart file is a range of them (Invocation.file_ranges; copies in
// Invocation.files from a protocol 1 host): a body crosses the link once.

/** Proto bytes (a Buffer from grpc, a Uint8Array, or absent) -> a Buffer. */
function toBuffer(bytes) {
  if (Buffer.isBuffer(bytes)) return bytes
  if (bytes instanceof Uint8Array) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return Buffer.alloc(0)
}

/** Each multipart file's content: a view of its range of the raw bytes, or its copy. */
function uploadedFiles(invocation, rawBody) {
  const ranges = invocation.fileRanges || []
  if (ranges.length === 0) return (invocation.files || []).map(toBuffer)
  return ranges.map(({ start, end }) => {
    if (!(start <= end && end <= rawBody.length)) {
      throw new RangeError(`multipart file range [${start}, ${end}) is outside the ${rawBody.length}-byte body`)
    }
    return rawBody.subarray(start, end)
  })
}

/**
 * A multipart body: each file object {filename, contentType, size, file: <index>}
 * (alone or in a list, for a repeated field) gets its bytes as `content`.
 */
function withFileContents(body, files) {
  if (!body || typeof body !== 'object') return body
  const attach = (value) => {
    if (!value || typeof value !== 'object' || !Number.isInteger(value.file)) return value
    if (value.file < 0 || value.file >= files.length) {
      throw new RangeError(`multipart file index ${value.file} is out of range (${files.length} files in the invocation)`)
    }
    const { file, ...described } = value
    return { ...described, content: files[file] }
  }
  const out = {}
  for (const [name, value] of Object.entries(body)) out[name] = Array.isArray(value) ? value.map(attach) : attach(value)
  return out
}

/**
 * The request an api handler gets: the payload as the host sent it, with
 * `rawBody` (a Buffer of the exact bytes received) and the body completed
 * for its kind: raw bytes for "bytes", file contents for "multipart", the
 * bytes read as JSON for "json" when the payload leaves it out.
 *
 * A parsed JSON or form object also turns back into the text it was parsed
 * from in a string context (`${req.body}`): Slack's verification code in
 * Motia's docs signs `v0:${timestamp}:${req.body}`. The method is not
 * enumerable, so JSON, spreading and destructuring never see it.
 */
function buildRequest(payload, invocation) {
  const req = payload && typeof payload === 'object' ? payload : {}
  const rawBody = toBuffer(invocation.rawBody)
  if (req.bodyKind === 'json' && !('body' in req)) req.body = JSON.parse(rawBody.toString('utf8'))
  if (req.bodyKind === 'bytes') req.body = rawBody
  else if (req.bodyKind === 'multipart') req.body = withFileContents(req.body, uploadedFiles(invocation, rawBody))
  else if ((req.bodyKind === 'form' || req.bodyKind === 'json') && isPlainObject(req.body)) {
    Object.defineProperty(req.body, 'toString', { value: () => rawBody.toString('utf8'), enumerable: false, writable: true, configurable: true })
  }
  req.rawBody = rawBody
  return req
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A body sent as raw bytes: a Buffer, any Uint8Array, or an ArrayBuffer. */
function isBytesBody(body) {
  return body instanceof Uint8Array || body instanceof ArrayBuffer
}

/**
 * A body sent in chunks as it is produced: anything async-iterable (async
 * generators, Node Readable streams, web ReadableStream) or iterable (a
 * generator) except the values that are one body already (strings, bytes,
 * arrays).
 */
function isStreamBody(body) {
  if (body === null || typeof body !== 'object') return false
  if (Array.isArray(body) || isBytesBody(body) || ArrayBuffer.isView(body)) return false
  return typeof body[Symbol.asyncIterator] === 'function' || typeof body[Symbol.iterator] === 'function' ||
    typeof body.getReader === 'function'
}

module.exports = { buildRequest, isBytesBody, isStreamBody, toBuffer }
