// How big the JSON body it got is: the `bodies` section posts big ones here.
export const config = { name: 'size-node', type: 'api', path: '/size', method: 'POST', emits: [] }

export const handler = async (req: { body: { data: string } }) => ({ status: 200, body: { size: req.body.data.length } })
