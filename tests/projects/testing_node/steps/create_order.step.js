exports.config = { name: 'create-order', type: 'api', path: '/orders', method: 'POST', emits: ['order.created'] }

exports.handler = async (req, { emit, logger }) => {
  const id = req.body.id
  logger.info('order received', { order: id })
  await emit({ topic: 'order.created', data: { id } })
  return { status: 201, body: { id } }
}
