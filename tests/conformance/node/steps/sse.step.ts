// TypeScript: Server-Sent Events from an async generator. When the client goes
// away the sidecar stops the generator, which runs its `finally`.
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-sse',
  method: 'GET',
  path: '/sse',
  emits: [],
  flows: ['conformance'],
}

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000))
const first = (value: unknown) => (Array.isArray(value) ? value[0] : value)

export const handler: Handlers['conf-sse'] = async (req, { state }) => {
  const n = Number(first(req.queryParams.n) ?? 5)
  const delay = Number(first(req.queryParams.delay) ?? 0.2)
  const id = first(req.queryParams.id) as string | undefined

  async function* events() {
    let finished = false
    try {
      for (let i = 1; i <= n; i++) {
        if (i > 1) await sleep(delay)
        yield `data: ${i}\n\n`
      }
      finished = true
    } finally {
      if (!finished && id) await state.set('conf-sse', `cancelled-${id}`, true)
    }
  }

  return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: events() }
}
