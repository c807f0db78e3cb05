// TypeScript with a zod 4 input schema.
import type { EventConfig, Handlers } from 'motia'
import { z } from 'zod'

const inputSchema = z.object({ key: z.string(), value: z.unknown() })

export const config: EventConfig = {
  type: 'event',
  name: 'conf-record',
  subscribes: ['conf.note'],
  emits: [],
  input: inputSchema,
  flows: ['conformance'],
}

export const handler: Handlers['conf-record'] = async (input, { state, traceId }) => {
  await state.set('conf', input.key, { value: input.value, traceId })
}
