export const config = { type: 'event', name: 'agent-fine-node', subscribes: ['agent.fine'] }
export const handler = async () => {}
