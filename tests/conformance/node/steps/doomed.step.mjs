// An .mjs step: always fails.
export const config = {
  type: 'event',
  name: 'conf-doomed',
  subscribes: ['conf.doomed'],
  emits: [],
  flows: ['conformance'],
  infrastructure: { queue: { maxRetries: 1 } },
}

export async function handler(input) {
  throw new Error(`doomed: ${input.id}`)
}
