import { advance } from './lib/deployments'

export const config = {
  type: 'event', name: 'build', subscribes: ['deploy.requested'], emits: ['deploy.built'], flows: ['deployments'],
}

export const handler = async ({ id }: { id: string }, { streams, emit }: any) => {
  await advance(streams, id, 'building')
  await emit({ topic: 'deploy.built', data: { id } })
}
