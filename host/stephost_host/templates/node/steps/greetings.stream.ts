// The greetings sent, live for browsers (Motia's stream clients connect unchanged).
export const config = {
  name: 'greetings',
  schema: {
    type: 'object',
    properties: { name: { type: 'string' }, message: { type: 'string' } },
    required: ['name', 'message'],
  },
  baseConfig: { storageType: 'default' },
}
