// CommonJS: a Buffer body reaches the client byte for byte.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000b4944415478da636000020000050001e9fadcd80000000049454e44ae426082',
  'hex',
)

exports.config = {
  type: 'api',
  name: 'conf-png',
  method: 'GET',
  path: '/png',
  emits: [],
  flows: ['conformance'],
}

exports.handler = async () => ({ status: 200, body: PNG, headers: { 'content-type': 'image/png' } })
