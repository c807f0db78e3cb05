import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = { type: 'api', name: 'cors-node-hello', method: 'GET', path: '/node/hello', emits: [] }

export const handler: Handlers['cors-node-hello'] = async () => ({ status: 200, body: { lang: 'node', hello: 'world' } })
