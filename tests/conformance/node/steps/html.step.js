// CommonJS: an HTML page, a string body with its charset in the content type.
exports.config = {
  type: 'api',
  name: 'conf-html',
  method: 'GET',
  path: '/html',
  emits: [],
  flows: ['conformance'],
}

exports.handler = async () => ({
  status: 200,
  body: '<!doctype html><p>héllo</p>',
  headers: { 'content-type': 'text/html; charset=utf-8' },
})
