import { ApiRouteConfig, Handlers } from 'motia'

// Only one partner origin may call this Node step, whatever the project allows.
export const config: ApiRouteConfig = {
  type: 'api',
  name: 'cors-node-partner',
  method: 'POST',
  path: '/node/partner',
  emits: [],
  cors: { origins: ['https://partner.example'] },
}

export const handler: Handlers['cors-node-partner'] = async (req) => ({
  status: 200,
  body: { lang: 'node', partner: req.body },
})
