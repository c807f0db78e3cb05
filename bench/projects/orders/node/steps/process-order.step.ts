export const config = { name: 'process-order', type: 'event', subscribes: ['order.created'], emits: ['order.done'] }

export const handler = async (order: { id: string }, { emit, state }: any) => {
  await state.set('orders', order.id, { ...order, status: 'processed' })
  await emit({ topic: 'order.done', data: order })
}
