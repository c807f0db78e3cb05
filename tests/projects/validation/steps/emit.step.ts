import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  name: 'val-ts-emit',
  type: 'api',
  path: '/ts/emit',
  method: 'POST',
  emits: ['val.ts', 'val.py', 'val.rb'],
  flows: ['validation'],
}

export const handler: Handlers['val-ts-emit'] = async (req, { emit }) => {
  try {
    await emit({ topic: req.body.topic, data: req.body.data })
  } catch (err) {
    return { status: 200, body: { error: (err as Error).message } }
  }
  return { status: 200, body: { ok: true } }
}
