import { EventConfig, Handlers } from 'motia'
import { z } from 'zod'

export const config: EventConfig = {
  name: 'tc-notify',
  type: 'event',
  subscribes: ['tc.shipped'],
  input: z.object({ id: z.string() }),
  emits: [],
  flows: ['typecheck'],
}

export const handler: Handlers['tc-notify'] = async (input, { state }) => {
  await state.set('tc', input.id, { notified: true })
}
