export const config = {
  name: 'check-stock',
  type: 'event',
  description: 'Checks stock and shows the order on the live board',
  subscribes: ['shop.order.placed'],
  emits: ['shop.order.checked'],
  flows: ['shop'],
}

export const handler = async (data: { id: string }, { emit, logger, streams }: any) => {
  logger.info('stock checked', { orderId: data.id })
  await streams.board.set('orders', data.id, { id: data.id, status: 'checked' })
  await emit({ topic: 'shop.order.checked', data })
}
