export const config = { name: 'mixed-ts-b', type: 'event', subscribes: ['mixed.b2'], emits: ['mixed.b3'], flows: ['mixed'] }

export const handler = async (data: { id: string }, { state, emit, traceId }: any) => {
  const seen = await state.get('mixed', data.id)
  await state.set('mixed', data.id, [...seen, { lang: 'typescript', traceId }])
  await emit({ topic: 'mixed.b3', data })
}
