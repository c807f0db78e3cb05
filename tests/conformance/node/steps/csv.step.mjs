// ESM JavaScript: a text body with its own content type reaches the client as those bytes.
export const config = {
  type: 'api',
  name: 'conf-csv',
  method: 'GET',
  path: '/csv',
  emits: [],
  flows: ['conformance'],
}

export const handler = async () => ({ status: 200, body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } })
