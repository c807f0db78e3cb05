// TypeScript with a zod 3 bodySchema (zod 4 ships the v3 API as `zod/v3`).
import { ApiRouteConfig, Handlers } from 'motia'
import { z } from 'zod/v3'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-state',
  method: 'POST',
  path: '/state/:group',
  bodySchema: z.object({ key: z.string(), value: z.any() }),
  emits: [],
  flows: ['conformance'],
}

export const handler: Handlers['conf-state'] = async (req, { state }) => {
  const g = req.pathParams.group
  const { key, value } = req.body
  const r1 = await state.set(g, key, value)
  const r2 = await state.get(g, key)
  const r3 = await state.getGroup(g)
  const r4 = await state.delete(g, key)
  const r5 = await state.get(g, key)
  await state.set(g, 'a', 1)
  await state.set(g, 'b', 2)
  await state.clear(g)
  const r6 = await state.getGroup(g)
  return { status: 200, body: { set: r1, get: r2, group: r3, deleted: r4, afterDelete: r5, afterClear: r6 } }
}
