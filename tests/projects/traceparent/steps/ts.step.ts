// Answers with what the handler sees of its own span (tests/test_traceparent.py).
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = { name: 'tp-node', type: 'api', path: '/tp/node', method: 'GET', emits: [] }

export const handler: Handlers['tp-node'] = async (_req, { traceparent, traceId }) => {
  return { status: 200, body: { traceparent, traceId } }
}
