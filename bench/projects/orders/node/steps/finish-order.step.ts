export const config = { name: 'finish-order', type: 'event', subscribes: ['order.done'], emits: [] }

export const handler = async (order: { id: string }, { state }: any) => {
  await state.set('orders-done', order.id, { ...order, status: 'done' })
}
