// A .cts step (TypeScript compiled as CommonJS) that outlives its timeout.
import type { ApiRouteConfig, Handlers } from 'motia'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'conf-slow',
  method: 'GET',
  path: '/slow',
  emits: [],
  flows: ['conformance'],
  infrastructure: { handler: { timeout: 1 } },
}

export const handler: Handlers['conf-slow'] = async () => {
  await sleep(5000)
  return { status: 200, body: { slept: true } }
}
