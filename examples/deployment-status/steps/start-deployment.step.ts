import { randomUUID } from 'node:crypto'
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'start-deployment',
  method: 'POST',
  path: '/deployments',
  emits: ['deploy.requested'],
  flows: ['deployments'],
}

export const handler: Handlers['start-deployment'] = async (req, { streams, emit, logger }) => {
  const { service, version } = req.body ?? {}
  if (typeof service !== 'string' || typeof version !== 'string') {
    return { status: 400, body: { error: 'expected {service: string, version: string}' } }
  }
  const id = randomUUID().slice(0, 8)
  await streams['deployment-status'].set('deployments', id, { service, version, status: 'queued', history: ['queued'] })
  await emit({ topic: 'deploy.requested', data: { id } })
  logger.info('deployment queued', { id, service, version })
  return { status: 202, body: { id } }
}
