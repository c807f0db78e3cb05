export const config = { name: 'hello-node', type: 'api', path: '/hello', method: 'GET', emits: [] }

export const handler = async () => ({ status: 200, body: { message: 'hello', ok: true } })
