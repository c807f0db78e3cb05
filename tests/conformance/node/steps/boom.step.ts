import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-boom',
  method: 'GET',
  path: '/boom',
  emits: [],
  flows: ['conformance'],
}

export const handler: Handlers['conf-boom'] = async () => {
  throw new Error('boom')
}
