// Middleware: auth short-circuits or attaches data to req; stamp changes the response.
import { ApiMiddleware, ApiRouteConfig, Handlers } from 'motia'

const auth: ApiMiddleware = async (req, ctx, next) => {
  if (req.headers['x-token'] !== 'ok') return { status: 401, body: { error: 'no token' } }
  ;(req as any).user = 'ok-user'
  return next()
}

const stamp: ApiMiddleware = async (req, ctx, next) => {
  const response = await next()
  return { ...response, headers: { ...response.headers, 'x-mw': 'stamped' } }
}

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-guarded',
  method: 'GET',
  path: '/guarded',
  middleware: [auth, stamp],
  emits: [],
  flows: ['conformance'],
}

export const handler: Handlers['conf-guarded'] = async (req) => ({
  status: 200,
  body: { user: (req as any).user },
})
