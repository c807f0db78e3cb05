// TypeScript: backpressure. n chunks of 64 KiB as fast as the host takes them; the count
// recorded in state shows how far the generator got while the client was not reading.
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-flood',
  method: 'GET',
  path: '/flood',
  emits: [],
  flows: ['conformance'],
}

const CHUNK = Buffer.alloc(64 * 1024)
const first = (value: unknown) => (Array.isArray(value) ? value[0] : value)

export const handler: Handlers['conf-flood'] = async (req, { state }) => {
  const id = String(first(req.queryParams.id))
  const n = Number(first(req.queryParams.n) ?? 2000)

  async function* chunks() {
    for (let i = 1; i <= n; i++) {
      yield CHUNK
      // every 10 chunks: cheap, and still shows where the generator stalled
      if (i % 10 === 0 || i === n) await state.set('conf-flood', id, i)
    }
  }

  return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: chunks() }
}
