export const config = { name: 'fuzz-node-echo', type: 'api', path: '/fuzz/node/:id', method: 'POST', emits: [] }

export const handler = async (req: any) => ({
  status: 200,
  body: {
    language: 'node',
    id: req.pathParams.id,
    body: req.body,
    query: req.queryParams,
    headers: Object.keys(req.headers).length,
  },
})
