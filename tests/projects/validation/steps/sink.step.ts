import { EventConfig, Handlers } from 'motia'
import { z } from 'zod'

export const config: EventConfig = {
  name: 'val-ts-sink',
  type: 'event',
  subscribes: ['val.ts'],
  input: z.object({ id: z.string(), qty: z.number().int() }),
  emits: [],
  flows: ['validation'],
}

export const handler: Handlers['val-ts-sink'] = async (input, { state }) => {
  await state.set('val', `ts:${input.id}`, input)
}
