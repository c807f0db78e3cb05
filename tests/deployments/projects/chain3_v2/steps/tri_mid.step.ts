export const config = { type: 'event', name: 'tri-mid', subscribes: ['tri.mid'], emits: ['tri.end'] }

export const handler = async (data: { key: string }, { emit }: any) => {
  // A little work, so the old worker has events in hand when it is killed mid-drain.
  await new Promise((resolve) => setTimeout(resolve, 20))
  await emit({ topic: 'tri.end', data })
}
