import { randomUUID } from 'node:crypto'

export const config = { name: 'create-order', type: 'api', path: '/orders', method: 'POST', emits: ['order.created'] }

export const handler = async (req: { body?: { item?: unknown } }, { emit }: { emit: (e: unknown) => Promise<void> }) => {
  const order = { id: randomUUID(), t0: Date.now(), item: req.body?.item ?? null }
  await emit({ topic: 'order.created', data: order })
  return { status: 201, body: { id: order.id } }
}
