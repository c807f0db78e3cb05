// Plain JavaScript, CommonJS: a GitHub-style webhook signature over the exact body bytes.
const { createHmac, timingSafeEqual } = require('node:crypto')

const config = {
  type: 'api',
  name: 'conf-github',
  method: 'POST',
  path: '/github',
  emits: [],
  flows: ['conformance'],
}

const SECRET = 'conf-secret'

function signedBy(rawBody, header) {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(rawBody).digest('hex')}`)
  const given = Buffer.from(typeof header === 'string' ? header : '')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const handler = async (req) => {
  if (!signedBy(req.rawBody, req.headers['x-hub-signature-256'])) return { status: 401, body: { error: 'bad signature' } }
  return { status: 200, body: { ok: true, action: req.body.action } }
}

module.exports = { config, handler }
