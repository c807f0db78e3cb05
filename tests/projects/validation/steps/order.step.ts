// Body and input schemas written with zod (the sidecar converts them to JSON Schema).
import { ApiRouteConfig, EventConfig, Handlers } from 'motia'
import { z } from 'zod'

const order = z.object({ id: z.string(), qty: z.number().int().min(1) })

export const config: ApiRouteConfig = {
  name: 'val-ts-order',
  type: 'api',
  path: '/ts/orders',
  method: 'POST',
  bodySchema: order,
  responseSchema: { 200: z.object({ accepted: order }) },
  emits: [],
  flows: ['validation'],
}

export const handler: Handlers['val-ts-order'] = async (req) => {
  return { status: 200, body: { accepted: req.body } }
}
