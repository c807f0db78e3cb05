exports.config = { name: 'typos-ok-js', type: 'api', path: '/ok-js', method: 'GET', flows: ['typos'] }

exports.handler = async () => ({ status: 200, body: { ok: 'javascript' } })
