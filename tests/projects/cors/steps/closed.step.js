// The project allows the page's origin; this Node step opts out.
exports.config = { type: 'api', name: 'cors-node-closed', method: 'GET', path: '/node/closed', emits: [], cors: false }

exports.handler = async () => ({ status: 200, body: { lang: 'node', closed: true } })
