export const config = {
  name: 'soak-middle', type: 'event', subscribes: ['soak.mid'], emits: ['soak.end'],
  infrastructure: { handler: { timeout: 5 }, queue: { maxRetries: 50, visibilityTimeout: 8 } },
}

export const handler = async (data: { id: string }, { emit }: any) => {
  await emit({ topic: 'soak.end', data })
}
