'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { makeProject } = require('./helpers')
const { discover, loadProject } = require('../src/loader')

const handler = 'async () => null'

test('discovery: steps/ and src/, recursive, sorted, every JS/TS extension, skipping node_modules and dot dirs', () => {
  const dir = makeProject({
    'steps/b.step.ts': '',
    'steps/a.step.js': '',
    'steps/deep/er/c.step.mjs': '',
    'steps/d.step.cjs': '',
    'steps/e.step.mts': '',
    'steps/f.step.cts': '',
    'src/g.step.ts': '',
    'src/h.stream.ts': '',
    'steps/util.ts': '',
    'steps/types.d.ts': '',
    'steps/py_step.py': '',
    'steps/node_modules/x.step.ts': '',
    'steps/.hidden/y.step.ts': '',
    'other/z.step.ts': '',
  }, { zod: false })
  assert.deepEqual(discover(dir), {
    steps: ['src/g.step.ts', 'steps/a.step.js', 'steps/b.step.ts', 'steps/d.step.cjs', 'steps/deep/er/c.step.mjs',
      'steps/e.step.mts', 'steps/f.step.cts'],
    streams: ['src/h.stream.ts'],
  })
})

test('a project without steps/ or src/ has nothing to load', async () => {
  const result = await loadProject(makeProject({ 'README.md': '' }, { zod: false }))
  assert.deepEqual(result, { steps: [], streams: [], loadErrors: [], hooks: [] })
})

test('both module styles, TS and JS, load; Motia type imports vanish; project imports and packages resolve', async () => {
  const dir = makeProject({
    'steps/esm.step.ts': `
      import { ApiRouteConfig, Handlers } from 'motia'
      import { z } from 'zod'
      import { greet } from '../src/lib/greet'
      export const config: ApiRouteConfig = { type: 'api', name: 'esm-ts', path: '/x', method: 'POST',
        bodySchema: z.object({ who: z.string() }) }
      export const handler: Handlers['esm-ts'] = async (req) => ({ status: 200, body: greet(req.body.who) })`,
    'src/lib/greet.ts': 'export const greet = (who: string): string => `hi ${who}`',
    'steps/cjs.step.js': `
      const { z } = require('zod')
      module.exports = { config: { type: 'event', name: 'cjs-js', subscribes: ['t'], input: z.object({ n: z.number() }) },
        handler: ${handler} }`,
    'steps/esm.step.js': `export const config = { type: 'event', name: 'esm-js', subscribes: ['t'] }\nexport const handler = ${handler}`,
    'steps/exports.step.js': `exports.config = { type: 'cron', name: 'exports-js', cron: '* * * * *' }\nexports.handler = ${handler}`,
    'steps/m.step.mjs': `export const config = { type: 'event', name: 'mjs', subscribes: ['t'] }\nexport async function handler() {}`,
    'steps/c.step.cjs': `module.exports.config = { type: 'event', name: 'cjs', subscribes: ['t'] }\nmodule.exports.handler = ${handler}`,
    'steps/m.step.mts': `import type { EventConfig } from 'motia'\nexport const config: EventConfig = { type: 'event', name: 'mts', subscribes: ['t'] }\nexport const handler = async (): Promise<void> => {}`,
    'steps/c.step.cts': `export const config = { type: 'event', name: 'cts', subscribes: ['t'] }\nexport const handler = async (input: unknown) => input`,
    'steps/default.step.ts': `export default { config: { type: 'event', name: 'default-export', subscribes: ['t'] }, handler: ${handler} }`,
    'steps/noop.step.ts': `export const config = { type: 'noop', name: 'noop-no-handler', virtualEmits: ['t'] }`,
  })
  const { steps, loadErrors } = await loadProject(dir)
  assert.deepEqual(loadErrors, [])
  const byName = Object.fromEntries(steps.map((s) => [s.name, s]))
  assert.deepEqual(Object.keys(byName).sort(), ['cjs', 'cjs-js', 'cts', 'default-export', 'esm-js', 'esm-ts', 'exports-js', 'mjs', 'mts', 'noop-no-handler'])
  for (const step of steps) {
    assert.equal(step.manifest.file, step.file)
    if (step.type !== 'noop') assert.equal(typeof step.handler, 'function', step.name)
  }
  assert.equal(byName['esm-ts'].file, 'steps/esm.step.ts')
  assert.deepEqual(await byName['esm-ts'].handler({ body: { who: 'ada' } }), { status: 200, body: 'hi ada' })
  const esmConfig = JSON.parse(byName['esm-ts'].manifest.configJson)
  assert.deepEqual(esmConfig.bodySchema.properties, { who: { type: 'string' } })
  assert.equal(JSON.parse(byName['cjs-js'].manifest.configJson).input.properties.n.type, 'number')
})

test('bad files become load errors naming the file and why; the rest still load', async () => {
  const dir = makeProject({
    'steps/ok.step.ts': `export const config = { type: 'event', name: 'ok', subscribes: ['t'] }\nexport const handler = ${handler}`,
    'steps/broken.step.ts': "export const config = { type: 'api', name: 'broken'\n  path: '/x' }\n",
    'steps/broken.step.mjs': 'export const config = {\n',
    'steps/broken.step.cjs': 'module.exports = {\n',
    'steps/no-config.step.js': `module.exports = { handler: ${handler} }`,
    'steps/no-handler.step.js': `module.exports = { config: { type: 'event', name: 'nh', subscribes: ['t'] } }`,
    'steps/bad-handler.step.js': `module.exports = { config: { type: 'event', name: 'bh', subscribes: ['t'] }, handler: 5 }`,
    'steps/bad-config.step.js': `module.exports = { config: [1], handler: ${handler} }`,
    'steps/bad-mw.step.js': `module.exports = { config: { type: 'api', name: 'mw', path: '/', middleware: ['x'] }, handler: ${handler} }`,
    'steps/throws.step.ts': "\nthrow new RangeError('no database')\n",
    'steps/missing-import.step.ts': "import { x } from './nowhere'\nexport const config = { x }\nexport const handler = () => x",
    'steps/missing-package.step.js': "const left = require('left-pad-nope')\nmodule.exports = { config: {}, handler: left }",
  })
  const { steps, loadErrors } = await loadProject(dir)
  assert.deepEqual(steps.map((s) => s.name), ['ok'])
  const errors = Object.fromEntries(loadErrors.map((e) => [e.file, e.message]))
  assert.match(errors['steps/broken.step.ts'], /^TransformError: steps\/broken\.step\.ts:2:2: ERROR: Expected "}" but found "path"$/)
  assert.match(errors['steps/broken.step.mjs'], /^SyntaxError: .* \(at steps\/broken\.step\.mjs:2:0\)$/)
  assert.match(errors['steps/broken.step.cjs'], /^SyntaxError: .*steps\/broken\.step\.cjs:\d/)
  assert.equal(errors['steps/no-config.step.js'], "missing export 'config'")
  assert.equal(errors['steps/no-handler.step.js'], "missing export 'handler'")
  assert.equal(errors['steps/bad-handler.step.js'], 'handler must be a function, got a number')
  assert.equal(errors['steps/bad-config.step.js'], 'config must be an object, got an array')
  assert.equal(errors['steps/bad-mw.step.js'], 'config.middleware must be a list of functions')
  assert.equal(errors['steps/throws.step.ts'], 'RangeError: no database (at steps/throws.step.ts:2:7)')
  assert.match(errors['steps/missing-import.step.ts'], /Cannot find (module|package) '\.\/nowhere'/)
  assert.match(errors['steps/missing-package.step.js'], /Cannot find module 'left-pad-nope'/)
  assert.match(errors['steps/missing-package.step.js'], /add it with `npm install left-pad-nope` in the project$/)
  assert.doesNotMatch(errors['steps/missing-import.step.ts'], /npm install/) // a path, not a package
  for (const e of loadErrors) assert.ok(!e.message.includes('\n'), `one line: ${e.message}`)
  assert.ok(loadErrors.find((e) => e.file === 'steps/throws.step.ts').stack.includes('RangeError'))
})

test('a package the project lacks: the load error names it and says to npm install it', async () => {
  const dir = makeProject({
    'steps/zod.step.ts': "import { z } from 'zod'\nexport const config = { type: 'event', name: 'z', subscribes: ['t'], input: z.object({}) }\nexport const handler = () => {}",
    'steps/scoped.step.mjs': "import x from '@acme/thing/deep'\nexport const config = { type: 'event', name: 's', subscribes: ['t'] }\nexport const handler = x",
  }, { zod: false })
  const { loadErrors } = await loadProject(dir)
  const errors = Object.fromEntries(loadErrors.map((e) => [e.file, e.message]))
  assert.match(errors['steps/zod.step.ts'], /'zod'.*add it with `npm install zod` in the project$/)
  assert.match(errors['steps/scoped.step.mjs'], /add it with `npm install @acme\/thing` in the project$/)
})

test('a duplicate step name: the first file wins, the second names both', async () => {
  const dir = makeProject({
    'steps/a.step.ts': `export const config = { type: 'event', name: 'same', subscribes: ['t'] }\nexport const handler = ${handler}`,
    'steps/b.step.js': `module.exports = { config: { type: 'event', name: 'same', subscribes: ['t'] }, handler: ${handler} }`,
  })
  const { steps, loadErrors } = await loadProject(dir)
  assert.deepEqual(steps.map((s) => s.file), ['steps/a.step.ts'])
  assert.deepEqual(loadErrors.map((e) => [e.file, e.message]), [
    ['steps/b.step.js', "duplicate step name 'same': already defined in steps/a.step.ts"],
  ])
})

test("'stephost' resolves to the sidecar's error classes from ESM, CJS and TS", async () => {
  const dir = makeProject({
    'steps/esm.step.mjs': "import { NonRetryableError } from 'stephost'\nexport const config = { type: 'event', name: 'a', subscribes: ['t'] }\nexport const handler = () => { throw new NonRetryableError('no') }",
    'steps/cjs.step.js': "const { RetryableError } = require('stephost')\nmodule.exports = { config: { type: 'event', name: 'b', subscribes: ['t'] }, handler: () => { throw new RetryableError('later', 3) } }",
    'steps/ts.step.ts': "import { NonRetryableError } from 'stephost'\nexport const config = { type: 'event', name: 'c', subscribes: ['t'] }\nexport const handler = () => { throw new NonRetryableError('no') }",
  })
  const { steps, loadErrors } = await loadProject(dir)
  assert.deepEqual(loadErrors, [])
  const { NonRetryableError, RetryableError } = require('../src/index')
  const thrown = steps.map((s) => { try { s.handler() } catch (err) { return err } return null })
  assert.ok(thrown[0] instanceof RetryableError && thrown[0].retryAfter === 3)
  assert.ok(thrown[1] instanceof NonRetryableError)
  assert.ok(thrown[2] instanceof NonRetryableError)
})

test('streams load with their schema as JSON Schema', async () => {
  const dir = makeProject({
    'steps/todo.stream.ts': "import { z } from 'zod'\nexport const config = { name: 'todo', schema: z.object({ text: z.string() }), baseConfig: { storageType: 'default' } }",
  })
  const { streams, loadErrors } = await loadProject(dir)
  assert.deepEqual(loadErrors, [])
  assert.equal(streams.length, 1)
  assert.equal(streams[0].name, 'todo')
  assert.equal(streams[0].file, 'steps/todo.stream.ts')
  assert.deepEqual(JSON.parse(streams[0].configJson).schema.properties, { text: { type: 'string' } })
})

test('process.exit at import is that file\'s load error; the other files load and exit is restored', async () => {
  const exit = process.exit
  const dir = makeProject({
    'steps/env.step.js': "if (!process.env.NO_SUCH_VAR_FOR_TEST) { console.error('missing env'); process.exit(1) }",
    'steps/ok.step.js': `exports.config = { type: 'event', name: 'ok', subscribes: ['t'] }; exports.handler = ${handler}`,
  }, { zod: false })
  const result = await loadProject(dir)
  assert.equal(process.exit, exit)
  assert.deepEqual(result.steps.map((s) => s.name), ['ok'])
  assert.equal(result.loadErrors.length, 1)
  assert.equal(result.loadErrors[0].file, 'steps/env.step.js')
  assert.match(result.loadErrors[0].message, /the file called process\.exit\(1\) while loading; throw an error instead/)
})

test('a handler declaring more parameters than its type passes is a warning in the log, not a load error', async () => {
  const warnings = []
  const log = { warn: (msg, fields) => warnings.push({ msg, ...fields }), error: () => {}, info: () => {}, debug: () => {} }
  const dir = makeProject({
    'steps/cron.step.js': "exports.config = { type: 'cron', name: 'c', cron: '* * * * *' }; exports.handler = async (a, b) => null",
    'steps/api.step.js': "exports.config = { type: 'api', name: 'a', path: '/a' }; exports.handler = async ({ body }, ctx) => null",
  }, { zod: false })
  const result = await loadProject(dir, log)
  assert.deepEqual(result.steps.map((s) => s.name).sort(), ['a', 'c'])
  assert.deepEqual(warnings.map((w) => w.file), ['steps/cron.step.js'])
  assert.match(warnings[0].warning, /a cron step's handler takes \(ctx\), but this one declares 2 parameters/)
})
