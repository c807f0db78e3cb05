import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = { type: 'api', name: 'cors-node-echo', method: 'POST', path: '/node/echo', emits: [] }

export const handler: Handlers['cors-node-echo'] = async (req) => ({
  status: 200,
  body: { lang: 'node', body: req.body, custom: req.headers['x-custom'] },
})
