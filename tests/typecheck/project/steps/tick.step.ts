import { CronConfig, Handlers } from 'motia'

export const config: CronConfig = {
  name: 'tc-tick',
  type: 'cron',
  cron: '0 0 1 1 *',
  emits: ['tc.ship'],
  flows: ['typecheck'],
}

export const handler: Handlers['tc-tick'] = async ({ emit }) => {
  await emit({ topic: 'tc.ship', data: { id: 'tick', qty: 1 } })
}
