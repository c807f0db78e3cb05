export const config = {
  name: 'deployment-status',
  schema: {
    type: 'object',
    properties: {
      service: { type: 'string' },
      version: { type: 'string' },
      status: { enum: ['queued', 'building', 'deploying', 'live', 'failed'] },
      history: { type: 'array', items: { type: 'string' } },
      updatedAt: { type: 'string' },
    },
    required: ['service', 'version', 'status'],
  },
  baseConfig: { storageType: 'default' },
}
