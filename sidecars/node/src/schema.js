'use strict'
// Config -> JSON for the manifest: functions dropped, zod schemas (3 or 4)
// turned into JSON Schema, everything else kept as written. Plain JSON Schema
// objects pass through untouched.
const path = require('node:path')
const { createRequire } = require('node:module')

// One rule for both zod versions: the JSON Schema describes what zod's parse
// *accepts* (input side), because the host validates incoming bodies and
// events with it. So defaulted fields are optional, and plain z.object()
// allows extra keys (zod strips them) while .strict() forbids them.
// draft-07 for both, so the host sees one dialect.
const ZOD4_OPTIONS = { target: 'draft-7', io: 'input', unrepresentable: 'any' }
const ZOD3_OPTIONS = { removeAdditionalStrategy: 'strict', pipeStrategy: 'input', effectStrategy: 'input' }

const isZod4 = (v) => typeof v === 'object' && v !== null && typeof v._zod === 'object' && v._zod !== null
const isZod3 = (v) => typeof v === 'object' && v !== null && typeof v._def === 'object' && typeof v.safeParse === 'function'
const isZodSchema = (v) => isZod4(v) || isZod3(v)

// zod 4 converts with the user's own zod (same version that built the schema),
// found from the step file; the sidecar's zod (3.25, which carries v4 under
// `zod/v4`) is the fallback. Cached per directory: every step in a folder
// resolves the same package.
const zod4Converters = new Map()
function zod4Converter(fromFile) {
  const dir = fromFile ? path.dirname(fromFile) : __dirname
  let convert = zod4Converters.get(dir)
  if (convert) return convert
  const candidates = []
  if (fromFile) {
    const userRequire = createRequire(fromFile)
    candidates.push(() => userRequire('zod/v4/core'), () => userRequire('zod'), () => userRequire('zod/v4'))
  }
  candidates.push(() => require('zod/v4/core'))
  for (const load of candidates) {
    try {
      const mod = load()
      const fn = mod.toJSONSchema || (mod.z && mod.z.toJSONSchema)
      if (typeof fn === 'function') {
        convert = fn
        break
      }
    } catch {
      // not installed there; try the next place
    }
  }
  if (!convert) throw new Error('cannot convert a zod 4 schema: no zod with toJSONSchema found')
  zod4Converters.set(dir, convert)
  return convert
}

let zod3Convert
function schemaToJson(schema, fromFile) {
  if (isZod4(schema)) return stripSchemaKeyword(zod4Converter(fromFile)(schema, ZOD4_OPTIONS))
  if (isZod3(schema)) {
    zod3Convert = zod3Convert || require('zod-to-json-schema').zodToJsonSchema
    return stripSchemaKeyword(zod3Convert(schema, ZOD3_OPTIONS))
  }
  return schema
}

// "$schema" names the dialect; it says nothing about the step and differs
// between converters, so it is left out of the manifest.
function stripSchemaKeyword(jsonSchema) {
  if (jsonSchema && typeof jsonSchema === 'object') delete jsonSchema.$schema
  return jsonSchema
}

/**
 * A JSON-ready copy of `value`: functions dropped (an array of only functions,
 * like `middleware`, is dropped whole), zod schemas converted wherever they
 * appear (bodySchema, input, responseSchema, or a `{200: schema}` map).
 * `fromFile` is the step file, used to find the user's zod.
 */
function toJsonValue(value, fromFile, seen = new Set()) {
  if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) return undefined
  if (typeof value === 'bigint') return Number(value)
  if (value === null || typeof value !== 'object') return value
  if (isZodSchema(value)) return schemaToJson(value, fromFile)
  if (typeof value.toJSON === 'function') return value.toJSON()
  if (seen.has(value)) throw new TypeError('config contains a circular reference')
  seen.add(value)
  try {
    if (Array.isArray(value)) {
      const kept = value.filter((item) => typeof item !== 'function')
      if (value.length > 0 && kept.length === 0) return undefined
      return kept.map((item) => {
        const converted = toJsonValue(item, fromFile, seen)
        return converted === undefined ? null : converted
      })
    }
    const out = {}
    for (const key of Object.keys(value)) {
      const converted = toJsonValue(value[key], fromFile, seen)
      if (converted !== undefined) out[key] = converted
    }
    return out
  } finally {
    seen.delete(value)
  }
}

module.exports = { toJsonValue, schemaToJson, isZodSchema }
