export const config = { type: 'api', name: 'deploy-hello-ts', method: 'GET', path: '/hello-ts' }

export const handler = async () => ({
  status: 200,
  body: { v: 1, version: process.env.STEPHOST_VERSION, greeting: process.env.GREETING ?? '' },
})
