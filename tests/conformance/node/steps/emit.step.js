// Plain JavaScript, CommonJS.
const config = {
  type: 'api',
  name: 'conf-emit',
  method: 'POST',
  path: '/emit/:topic',
  emits: ['conf.note', 'conf.flaky', 'conf.doomed'],
  flows: ['conformance'],
}

const handler = async (req, { emit }) => {
  const body = req.body || {}
  const event = { topic: `conf.${req.pathParams.topic}`, data: req.body }
  if (body.group !== undefined && body.group !== null) event.messageGroupId = body.group
  await emit(event)
  return { status: 202, body: { ok: true } }
}

module.exports = { config, handler }
