// JavaScript with ESM exports in a package that is not "type": "module".
export const config = {
  type: 'api',
  name: 'conf-read',
  method: 'GET',
  path: '/state/:group/:key',
  emits: [],
  flows: ['conformance'],
}

export const handler = async (req, ctx) => {
  const value = await ctx.state.get(req.pathParams.group, req.pathParams.key)
  return { status: 200, body: value }
}
