// Flow A: TypeScript api -> Python event -> JavaScript event -> state
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  name: 'mixed-ts-api', type: 'api', path: '/mixed/a', method: 'POST', emits: ['mixed.a1'], flows: ['mixed'],
}

export const handler: Handlers['mixed-ts-api'] = async (req, { emit, state, traceId }) => {
  const id = req.body.id
  await state.set('mixed', id, [{ lang: 'typescript', traceId }])
  await emit({ topic: 'mixed.a1', data: { id } })
  return { status: 202, body: { id } }
}
