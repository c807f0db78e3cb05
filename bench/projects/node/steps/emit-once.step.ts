export const config = { name: 'emit-once-node', type: 'api', path: '/emit', method: 'GET', emits: ['bench.emitted'] }

// One durable emit (nothing subscribes): the bench compares this route with /hello.
export const handler = async (_req: unknown, { emit }: { emit: (e: unknown) => Promise<void> }) => {
  await emit({ topic: 'bench.emitted', data: { n: 1 } })
  return { status: 200, body: { message: 'emitted', ok: true } }
}
