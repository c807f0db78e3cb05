// The ctx surface every language offers (README, conf-ctx), read by
// destructuring: step, topic (null outside event steps), traceId, attempt, flows,
// emit and logger.child.
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-ctx',
  method: 'GET',
  path: '/ctx',
  emits: ['conf.ctx'],
  flows: ['conformance'],
}

export const handler: Handlers['conf-ctx'] = async (req, { step, topic, traceId, attempt, flows, emit, logger }) => {
  const child = logger.child({ probe: 'api' })
  child.info('ctx probe', { lang: 'node' })
  await emit({ topic: 'conf.ctx', data: {} })
  return { status: 200, body: { step, topic, traceId, attempt, flows } }
}
