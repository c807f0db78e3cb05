import { z } from 'zod'

// A zod schema: the host receives it as JSON Schema and validates items with it.
export const config = {
  name: 'conf-items',
  schema: z.object({ title: z.string() }),
  baseConfig: { storageType: 'default' },
}
