// TypeScript: Slack's request signing (v0) over the timestamp and the exact form body bytes.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-slack',
  method: 'POST',
  path: '/slack',
  emits: [],
  flows: ['conformance'],
}

function signedBy(rawBody: Buffer, timestamp: string, signature: string): boolean {
  const hmac = createHmac('sha256', 'conf-secret')
  hmac.update(`v0:${timestamp}:`)
  hmac.update(rawBody)
  const expected = Buffer.from(`v0=${hmac.digest('hex')}`)
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export const handler: Handlers['conf-slack'] = async (req) => {
  const timestamp = String(req.headers['x-slack-request-timestamp'] ?? '')
  const signature = String(req.headers['x-slack-signature'] ?? '')
  if (!signedBy(req.rawBody, timestamp, signature)) return { status: 401, body: { error: 'bad signature' } }
  return { status: 200, body: { ok: true, payload: JSON.parse(req.body.payload) } }
}
