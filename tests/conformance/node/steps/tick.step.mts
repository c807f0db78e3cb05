// An .mts step: cron, every second.
import type { CronConfig, Handlers } from 'motia'

export const config: CronConfig = {
  type: 'cron',
  name: 'conf-tick',
  cron: '* * * * * *',
  emits: [],
  flows: ['conformance'],
}

export const handler: Handlers['conf-tick'] = async ({ state }) => {
  const n = ((await state.get<number>('conf', 'ticks')) ?? 0) + 1
  await state.set('conf', 'ticks', n)
}
