// Deliberately broken: the sidecar must report this file and load the rest.
export const config = {
  type: 'api',
  name: 'conf-broken'
  path: '/broken',
}

export const handler = async (req: { body: unknown }) => ({ status: 200, body: req.body )
