// Makes the greeting, keeps it in state and on the greetings stream, and says it was sent.
export const config = {
  name: 'send-greeting',
  type: 'event',
  subscribes: ['greeting.requested'],
  input: {
    type: 'object',
    properties: { name: { type: 'string' } },
    required: ['name'],
  },
  emits: ['greeting.sent'],
  flows: ['greetings'],
}

export const handler = async (input, { emit, state, streams }) => {
  const message = `${process.env.GREETING || 'Hello'}, ${input.name}!`
  await state.set('greetings', input.name, { message })
  await streams.greetings.set('all', input.name, { name: input.name, message })
  await emit({ topic: 'greeting.sent', data: { name: input.name, message } })
}
