'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { toJsonValue, schemaToJson } = require('../src/schema')
const z3 = require('zod').z // the sidecar's zod 3.25: v3 API at 'zod'
const z4 = require('zod/v4').z // ... and the v4 API at 'zod/v4'

const here = path.join(__dirname, 'schema.test.js')

test('zod 3 object -> JSON Schema of what parse accepts', () => {
  const schema = z3.object({
    name: z3.string().describe('who'),
    age: z3.number().optional(),
    admin: z3.boolean().default(false),
    tags: z3.array(z3.string()),
    role: z3.enum(['a', 'b']),
    kind: z3.literal('user'),
    nick: z3.string().nullable(),
    id: z3.union([z3.string(), z3.number()]),
  })
  assert.deepEqual(schemaToJson(schema, here), {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'who' },
      age: { type: 'number' },
      admin: { type: 'boolean', default: false },
      tags: { type: 'array', items: { type: 'string' } },
      role: { type: 'string', enum: ['a', 'b'] },
      kind: { type: 'string', const: 'user' },
      nick: { type: ['string', 'null'] },
      id: { type: ['string', 'number'] },
    },
    required: ['name', 'tags', 'role', 'kind', 'nick', 'id'],
    additionalProperties: true,
  })
})

test('zod 3 strict object forbids extra keys', () => {
  assert.equal(schemaToJson(z3.object({ a: z3.string() }).strict(), here).additionalProperties, false)
})

test('zod 4 object -> JSON Schema, optional and defaulted fields not required', () => {
  const schema = z4.object({ name: z4.string().describe('who'), age: z4.number().optional(), admin: z4.boolean().default(false) })
  const json = schemaToJson(schema, here)
  assert.equal(json.type, 'object')
  assert.deepEqual(json.properties.name, { type: 'string', description: 'who' })
  assert.deepEqual(json.required, ['name'])
  assert.equal(json.$schema, undefined)
})

test('zod 4 types JSON Schema cannot express do not fail the step', () => {
  const json = schemaToJson(z4.object({ when: z4.date() }), here)
  assert.deepEqual(json.properties.when, {})
})

test('plain JSON Schema passes through unchanged', () => {
  const schema = { type: 'object', properties: { a: { type: 'string' } } }
  assert.deepEqual(toJsonValue({ bodySchema: schema }, here), { bodySchema: schema })
})

test('config: functions and middleware lists dropped, schemas converted wherever they are', () => {
  const auth = () => {}
  const config = {
    type: 'api',
    name: 'x',
    middleware: [auth],
    bodySchema: z4.object({ a: z4.string() }),
    responseSchema: { 200: z3.object({ ok: z3.boolean() }), 400: { type: 'object' } },
    queryParams: [{ name: 'q', description: 'query' }],
    helper() {},
    emits: ['t'],
  }
  const json = toJsonValue(config, here)
  assert.equal('middleware' in json, false)
  assert.equal('helper' in json, false)
  assert.deepEqual(json.bodySchema.required, ['a'])
  assert.equal(json.responseSchema[200].properties.ok.type, 'boolean')
  assert.deepEqual(json.responseSchema[400], { type: 'object' })
  assert.deepEqual(json.queryParams, [{ name: 'q', description: 'query' }])
  assert.deepEqual(json.emits, ['t'])
})

test('an empty middleware list stays, a circular config is an error', () => {
  assert.deepEqual(toJsonValue({ middleware: [] }, here), { middleware: [] })
  const loop = { name: 'x' }
  loop.self = loop
  assert.throws(() => toJsonValue(loop, here), /circular/)
})
