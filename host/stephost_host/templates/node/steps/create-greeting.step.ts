// POST /greetings {"name": "Ada"}: queues a greeting and answers at once.
export const config = {
  name: 'create-greeting',
  type: 'api',
  path: '/greetings',
  method: 'POST',
  description: 'Queue a greeting for a name',
  bodySchema: {
    type: 'object',
    properties: { name: { type: 'string', minLength: 1 } },
    required: ['name'],
  },
  emits: ['greeting.requested'],
  flows: ['greetings'],
}

export const handler = async (req, { emit, logger }) => {
  const { name } = req.body
  logger.info('greeting requested', { name })
  await emit({ topic: 'greeting.requested', data: { name } })
  return { status: 202, body: { queued: true, name } }
}
