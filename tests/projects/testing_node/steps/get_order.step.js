exports.config = { name: 'get-order', type: 'api', path: '/orders/:id', method: 'GET', emits: [] }

exports.handler = async (req, { state }) => {
  const order = await state.get('orders', req.pathParams.id)
  return order ? { status: 200, body: order } : { status: 404, body: { error: 'no such order' } }
}
