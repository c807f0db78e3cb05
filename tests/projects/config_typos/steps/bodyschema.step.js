exports.config = { name: 'typos-bodyschema', type: 'api', path: '/bodyschema', method: 'POST', bodyschema: {}, flow: ['typos'] }

exports.handler = async () => ({ status: 200, body: {} })
