import { ApiRouteConfig, Handlers } from 'motia'
import { z } from 'zod'

export const config: ApiRouteConfig = {
  name: 'tc-order',
  type: 'api',
  path: '/tc/orders',
  method: 'POST',
  bodySchema: z.object({ id: z.string(), qty: z.number().int().min(1) }),
  responseSchema: { 201: z.object({ id: z.string() }), 400: z.object({ error: z.string() }) },
  emits: ['tc.ship'],
  flows: ['typecheck'],
}

export const handler: Handlers['tc-order'] = async (req, { emit, logger }) => {
  if (req.body.qty > 100) return { status: 400, body: { error: 'too many' } }
  // tc.ship is a Python step's topic: its pydantic input types this data
  await emit({ topic: 'tc.ship', data: { id: req.body.id, qty: req.body.qty } })
  logger.info('order accepted', { id: req.body.id })
  return { status: 201, body: { id: req.body.id } }
}
