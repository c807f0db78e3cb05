import { greet } from '../lib/greeting'

export const config = { type: 'api', name: 'agent-hello-node', method: 'GET', path: '/agent/node' }

// The worker's env: STEPHOST_VERSION from the agent, GREETING from the deployment.
export const handler = async () => ({
  status: 200,
  body: { version: process.env.STEPHOST_VERSION, greeting: greet(process.env.GREETING ?? '') },
})
