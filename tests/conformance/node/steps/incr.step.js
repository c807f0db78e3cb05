exports.config = {
  type: 'api',
  name: 'conf-incr',
  method: 'POST',
  path: '/incr/:key',
  emits: [],
  // 1,000 updates against a second replica's: room for a loaded CI machine.
  infrastructure: { handler: { timeout: 120 } },
  flows: ['conformance'],
}

exports.handler = async (req, ctx) => {
  const n = Number(req.queryParams.n || 1)
  let last = null
  for (let i = 0; i < n; i++) {
    last = await ctx.state.update('conf-incr', req.pathParams.key, (old) => (old || 0) + 1)
  }
  return { status: 200, body: { last, replica: process.pid } }
}
