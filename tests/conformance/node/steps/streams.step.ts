import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api', name: 'conf-streams', method: 'POST', path: '/streams/:group', emits: [], flows: ['conformance'],
}

export const handler: Handlers['conf-streams'] = async (req, { streams }) => {
  const g = req.pathParams.group
  const { id, title } = req.body
  const items = streams['conf-items']
  const r1 = await items.set(g, id, { title })
  const r2 = await items.get(g, id)
  const r3 = await items.getGroup(g)
  await items.send({ groupId: g, id }, { type: 'ping', data: { n: 1 } })
  const r4 = await items.delete(g, id)
  const r5 = await items.get(g, id)
  let invalid = null
  try {
    await items.set(g, 'bad', { nope: 1 })
  } catch (err) {
    invalid = err.message
  }
  return { status: 200, body: { set: r1, get: r2, group: r3, deleted: r4, afterDelete: r5, invalid } }
}
