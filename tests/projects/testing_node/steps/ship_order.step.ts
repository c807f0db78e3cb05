export const config = { name: 'ship-order', type: 'event', subscribes: ['order.created'], emits: ['order.shipped'] }

export const handler = async (data: { id: string }, { state, emit }: any) => {
  await state.set('orders', data.id, { status: 'shipped' })
  await emit({ topic: 'order.shipped', data: { id: data.id } })
}
