// TypeScript, ESM exports, Motia's typings imported without `type` and without
// the motia package installed: the import must vanish at load time.
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-echo',
  description: 'Echoes the request back',
  method: 'POST',
  path: '/echo/:id',
  emits: [],
  flows: ['conformance'],
}

export const handler: Handlers['conf-echo'] = async (req, { traceId }) => ({
  status: 200,
  body: {
    id: req.pathParams.id,
    body: req.body,
    query: req.queryParams,
    header: req.headers['x-test'],
    traceId,
    language: 'node',
  },
  headers: { 'x-echo': 'yes' },
})
