'use strict'
// A streamed api response: the body the handler returned is iterated and its
// pieces go to the host as ResponseChunk messages, in order, as they are
// produced. The host acknowledges each chunk once the client has taken it
// (ChunkAck); at most STREAM_WINDOW chunks are in flight, so a slow client
// slows the handler's iteration instead of filling memory.

const STREAM_WINDOW = 8
const MAX_CHUNK = 1024 * 1024

/**
 * An iterator over `body` (see http.isStreamBody) with a `stop()` that ends
 * the producer early: return() on iterators (an async generator runs its
 * `finally`), destroy() on Node Readables, cancel() on a web stream's reader.
 */
function openBody(body) {
  let iterator
  if (typeof body[Symbol.asyncIterator] === 'function') iterator = body[Symbol.asyncIterator]()
  else if (typeof body[Symbol.iterator] === 'function') iterator = body[Symbol.iterator]()
  else {
    const reader = body.getReader() // a web ReadableStream without async iteration
    iterator = { next: () => reader.read(), return: () => reader.cancel() }
  }
  const stop = () => {
    if (typeof iterator.return === 'function') {
      // Not awaited: a generator sleeping between pieces closes once it wakes.
      Promise.resolve().then(() => iterator.return()).catch(() => {})
    }
    if (typeof body.destroy === 'function') body.destroy()
  }
  return { next: () => iterator.next(), stop }
}

/** A stream body nobody will read (its invocation was cancelled first): let it free what it holds. */
function discard(body) {
  try {
    openBody(body).stop()
  } catch {
    // A body that cannot even be opened holds nothing to free.
  }
}

/** One produced piece -> Buffers of at most MAX_CHUNK bytes (none for an empty piece). */
function pieces(value) {
  let bytes
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8')
  else if (value instanceof Uint8Array) bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  else if (value instanceof ArrayBuffer) bytes = Buffer.from(value)
  else {
    const what = value === null ? 'null' : typeof value === 'object' ? value.constructor?.name || 'object' : typeof value
    throw new TypeError(`a streamed response body must produce strings or bytes (Buffer/Uint8Array), got ${what}`)
  }
  const out = []
  for (let at = 0; at < bytes.length; at += MAX_CHUNK) out.push(bytes.subarray(at, at + MAX_CHUNK))
  return out
}

class ResponseStream {
  /** `send(message)`: queue a SidecarMessage on the invocation's stream. */
  constructor({ invocationId, status, headers, body, send }) {
    this.invocationId = invocationId
    this.status = status
    this.headers = headers
    this.body = body
    this.send = send
    this.seq = 0
    this.acked = 0
    this.cancelled = false
    this.over = false // the body ended, failed or was stopped
    this.source = null
    this.wake = null
  }

  /**
   * Sends every chunk. Resolves true when the body ended (the caller then
   * sends InvocationResult{streamed}), false when the stream was cancelled
   * (nothing more may be sent); rejects with what the body threw.
   */
  async run() {
    this.source = openBody(this.body)
    try {
      // Status and headers go at once: a client (an EventSource) sees the
      // response start even if the first piece takes a while.
      this.chunk(Buffer.alloc(0), { status: this.status, headersJson: JSON.stringify(this.headers) })
      for (;;) {
        const { value, done } = await this.source.next()
        if (this.cancelled) return false
        if (done) return true
        for (const data of pieces(value)) {
          await this.window()
          if (this.cancelled) return false
          this.chunk(data)
        }
      }
    } catch (err) {
      this.source.stop()
      if (this.cancelled) return false
      throw err
    } finally {
      this.over = true
    }
  }

  chunk(data, first = {}) {
    this.send({ chunk: { invocationId: this.invocationId, seq: ++this.seq, data, ...first } })
  }

  /** Resolves once the next chunk fits the window (or the stream was cancelled). */
  window() {
    if (this.cancelled || this.seq - this.acked < STREAM_WINDOW) return undefined
    return new Promise((resolve) => {
      this.wake = resolve
    }).then(() => this.window())
  }

  /** ChunkAck from the host: every chunk up to `seq` reached the client. */
  ack(seq) {
    if (seq > this.acked) this.acked = seq
    this.resume()
  }

  /** The client went away (Cancel): stop producing, send nothing more. */
  cancel() {
    if (this.cancelled || this.over) return
    this.cancelled = true
    this.resume()
    if (this.source) this.source.stop()
  }

  resume() {
    const wake = this.wake
    this.wake = null
    if (wake) wake()
  }
}

module.exports = { ResponseStream, STREAM_WINDOW, MAX_CHUNK, discard, pieces }
