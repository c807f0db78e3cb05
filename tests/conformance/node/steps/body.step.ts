// TypeScript: what the handler sees of a request body of each content type.
import { createHash } from 'node:crypto'
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-body',
  method: 'POST',
  path: '/body',
  emits: [],
  flows: ['conformance'],
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

// Bytes as {bytes: hex}; a multipart file as its description and a digest of its content.
function render(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { bytes: value.toString('hex') }
  if (Array.isArray(value)) return value.map(render)
  if (value && typeof value === 'object') {
    const file = value as { filename?: string; contentType?: string; size?: number; content?: Buffer }
    if (Buffer.isBuffer(file.content)) {
      return { filename: file.filename, contentType: file.contentType, size: file.size, sha256: sha256(file.content) }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v)]))
  }
  return value
}

function kind(body: unknown): string {
  if (body === null || body === undefined) return 'null'
  if (Buffer.isBuffer(body)) return 'bytes'
  return typeof body === 'string' ? 'string' : 'object'
}

export const handler: Handlers['conf-body'] = async (req) => ({
  status: 200,
  body: { kind: kind(req.body), body: render(req.body), rawSha256: sha256(req.rawBody), rawLength: req.rawBody.length },
})
