export const config = { type: 'event', name: 'agent-broken-node', subscribes: ['agent.broken'] }

export const handler = async (input: { a: number }) => {
  const value = input.a +
}
