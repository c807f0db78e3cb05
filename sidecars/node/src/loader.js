'use strict'
// The loader layer: find step and stream files, import them (TypeScript
// through tsx, no build step), check their exports and build the manifests for
// the hello. A file that fails becomes a LoadError naming the file and why;
// the others still load.
const fs = require('node:fs')
const path = require('node:path')
const Module = require('node:module')
const { pathToFileURL } = require('node:url')
const { toJsonValue } = require('./schema')
const { errorType } = require('./runner')
const { HookDefinitionError, canAccessHook, loadAuthHook } = require('./hooks')

const ROOTS = ['steps', 'src']
const EXTENSIONS = '(?:ts|js|mjs|cjs|mts|cts)'
const STEP_FILE = new RegExp(`\\.step\\.${EXTENSIONS}$`)
const STREAM_FILE = new RegExp(`\\.stream\\.${EXTENSIONS}$`)
const SKIP_DIRS = new Set(['node_modules', '__pycache__'])

/** Relative ("/"-separated) paths of step and stream files, in sorted order. */
function discover(projectDir) {
  const steps = []
  const streams = []
  const walk = (absDir, relDir) => {
    let entries
    try {
      entries = fs.readdirSync(absDir, { withFileTypes: true })
    } catch (err) {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return
      throw err
    }
    for (const entry of entries) {
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name
      const abs = path.join(absDir, entry.name)
      let isDir = entry.isDirectory()
      let isFile = entry.isFile()
      if (entry.isSymbolicLink()) {
        const stat = fs.statSync(abs, { throwIfNoEntry: false })
        isDir = Boolean(stat && stat.isDirectory())
        isFile = Boolean(stat && stat.isFile())
      }
      if (isDir) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(abs, rel)
      } else if (isFile) {
        if (STEP_FILE.test(entry.name)) steps.push(rel)
        else if (STREAM_FILE.test(entry.name)) streams.push(rel)
      }
    }
  }
  for (const root of ROOTS) walk(path.join(projectDir, root), root)
  // Plain code-unit order, the same order every language's sidecar uses.
  const byPath = (a, b) => (a < b ? -1 : a > b ? 1 : 0)
  return { steps: steps.sort(byPath), streams: streams.sort(byPath) }
}

// Names the sidecar answers for when the project does not provide them.
const FALLBACK_MODULES = {
  stephost: path.join(__dirname, 'index.js'),
  'stephost/testing': path.join(__dirname, 'testing.js'),
}

let importHooksInstalled = false
/**
 * Teach Node to import TypeScript (tsx, both module systems) and to resolve
 * the fallback module names. Once per process, before the first step import.
 */
async function installImportHooks() {
  if (importHooksInstalled) return
  importHooksInstalled = true
  require('tsx/cjs/api').register()
  // tsx's CommonJS build of its ESM API computes its loader path wrongly
  // (tsx 4.23), so take the ESM build.
  const tsxEsm = await import('tsx/esm/api')
  tsxEsm.register()

  // Registered after tsx, so these wrap it: the project and tsx resolve first.
  const originalResolve = Module._resolveFilename
  Module._resolveFilename = function resolveWithFallback(request, ...rest) {
    try {
      return originalResolve.call(this, request, ...rest)
    } catch (err) {
      if (err && err.code === 'MODULE_NOT_FOUND' && Object.hasOwn(FALLBACK_MODULES, request)) {
        return FALLBACK_MODULES[request]
      }
      throw err
    }
  }
  const fallbacks = {}
  for (const [name, file] of Object.entries(FALLBACK_MODULES)) fallbacks[name] = pathToFileURL(file).href
  Module.register(pathToFileURL(path.join(__dirname, 'esm-resolve.mjs')).href, { data: { fallbacks } })
}

/**
 * Where a syntax error is: Node puts it in the stack's first line for
 * CommonJS and nowhere at all for ESM, so ask esbuild to parse the step file
 * again. Empty when the step file itself parses (the error is in an import).
 */
function syntaxErrorLocation(err, file, projectDir) {
  const where = typeof err.stack === 'string' ? err.stack.split('\n', 1)[0] : ''
  if (/:\d+$/.test(where)) return ` (at ${where})`
  if (!file) return ''
  try {
    const source = fs.readFileSync(path.join(projectDir, file), 'utf8')
    const loader = /\.[cm]?ts$/.test(file) ? 'ts' : 'js'
    require('esbuild').transformSync(source, { loader, sourcefile: file, format: 'esm' })
  } catch (parseErr) {
    const location = parseErr.errors && parseErr.errors[0] && parseErr.errors[0].location
    if (location) return ` (at ${file}:${location.line}:${location.column})`
  }
  return ''
}

/** For an error thrown while the module body ran: the step file's line that threw. */
function throwLocation(err, file, projectDir) {
  if (typeof err.stack !== 'string') return ''
  const abs = path.join(projectDir, file)
  for (const candidate of [abs, pathToFileURL(abs).href]) {
    const at = err.stack.indexOf(candidate + ':')
    if (at === -1) continue
    const match = /^:(\d+):(\d+)/.exec(err.stack.slice(at + candidate.length))
    if (match) return ` (at ${file}:${match[1]}:${match[2]})`
  }
  return ''
}

/**
 * For an import of a package the project does not have: what to run. Node resolves a step's
 * imports from the project's own node_modules (and the folders above it), never from the
 * sidecar's, so a step that needs `zod` needs it in the project's package.json.
 */
function missingPackageHint(err, message) {
  if (err.code !== 'MODULE_NOT_FOUND' && err.code !== 'ERR_MODULE_NOT_FOUND') return ''
  const match = /Cannot find (?:module|package) '([^']+)'/.exec(message)
  if (!match || /^(\.|\/|[a-z]+:)/i.test(match[1])) return '' // a relative or absolute path, or node:/file:
  const parts = match[1].split('/')
  const name = parts[0].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
  return `; the project does not have the package '${name}': add it with \`npm install ${name}\` in the project`
}

/** A LoadError's one-line message: enough to fix the file without the stack. */
function describeLoadFailure(err, projectDir, file) {
  if (!(err instanceof Error)) return String(err)
  const lines = String(err.message)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  // Node's "Require stack:" lists add nothing the file name does not say.
  const keep = err.code === 'MODULE_NOT_FOUND' ? lines.slice(0, 1) : lines.slice(0, 3)
  // esbuild's "Transform failed with 1 error:" header only precedes the real line.
  let message = keep.join(' ').replace(/^Transform failed with \d+ errors?:\s*/, '')
  if (err.name === 'SyntaxError') message += syntaxErrorLocation(err, file, projectDir)
  else if (file && !message.includes(path.join(projectDir, file) + ':')) message += throwLocation(err, file, projectDir)
  const type = errorType(err)
  if (type !== 'Error') message = `${type}: ${message}`
  message += missingPackageHint(err, message)
  // Paths relative to the project read better and match LoadError.file.
  const prefixes = [pathToFileURL(projectDir).href + '/', projectDir + path.sep]
  for (const prefix of prefixes) message = message.split(prefix).join('')
  return message
}

/** The file's exports, whether written as ESM exports or `module.exports`. */
function exportsOf(mod) {
  // CommonJS imported from ESM shows up as `default`; so does `export default
  // {config, handler}`; and that, compiled to CommonJS by tsx, as `default.default`.
  for (let candidate = mod, depth = 0; candidate && typeof candidate === 'object' && depth < 3; depth++) {
    if (candidate.config !== undefined || candidate.handler !== undefined) return candidate
    candidate = candidate.default
  }
  return mod
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null
}

function describeValue(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

class StepLoadError extends Error {}
// Errors whose message is the whole explanation: reported without a stack.
const explained = (err) => err instanceof StepLoadError || err instanceof HookDefinitionError

class StepExitError extends StepLoadError {}

/**
 * Imports one project file with process.exit stubbed to throw: an env validator that exits at
 * import must fail that file only, not end the sidecar (and every route with it).
 */
async function importFile(abs) {
  const exit = process.exit
  process.exit = (code) => {
    throw new StepExitError(
      `the file called process.exit(${code === undefined ? '' : JSON.stringify(code)}) while loading; ` +
        'throw an error instead so the other files keep serving'
    )
  }
  try {
    return await import(pathToFileURL(abs).href)
  } finally {
    process.exit = exit
  }
}

// What the runner passes each handler type; JS arity is only a hint (defaults, rest and
// destructuring change `length`), so a mismatch is a warning, never a load error.
const SIGNATURES = { api: '(req, ctx)', event: '(input, ctx)', cron: '(ctx)' }

function arityWarning(type, handler) {
  const signature = SIGNATURES[type]
  if (!signature || typeof handler !== 'function') return null
  const want = signature.split(',').length
  if (handler.length <= want) return null
  return `a ${type} step's handler takes ${signature}, but this one declares ${handler.length} parameters`
}

/** Checks a step module's exports; returns the step or throws StepLoadError. */
function checkStep(mod) {
  const { config, handler } = exportsOf(mod)
  if (config === undefined) throw new StepLoadError("missing export 'config'")
  if (!isPlainObject(config)) throw new StepLoadError(`config must be an object, got ${describeValue(config)}`)
  // Motia's noop steps are diagram-only and have no handler.
  if (handler === undefined && config.type !== 'noop') throw new StepLoadError("missing export 'handler'")
  if (handler !== undefined && typeof handler !== 'function') {
    throw new StepLoadError(`handler must be a function, got ${describeValue(handler)}`)
  }
  const middleware = config.middleware === undefined || config.middleware === null ? [] : config.middleware
  if (!Array.isArray(middleware) || middleware.some((fn) => typeof fn !== 'function')) {
    throw new StepLoadError('config.middleware must be a list of functions')
  }
  return { config, handler, middleware }
}

/**
 * Import every step and stream file of the project. Returns
 * `{ steps, streams, loadErrors, hooks }`: steps are `{name, type, handler,
 * middleware, file, manifest}`, ready for the hello and for invocations;
 * hooks are the project hooks found on the way (hooks.js).
 */
async function loadProject(projectDir, log) {
  await installImportHooks()
  const note = progressNote(process.env.STEPHOST_LOAD_PROGRESS)
  const found = discover(projectDir)
  const steps = []
  const streams = []
  const loadErrors = []
  const stepFileByName = new Map()
  const streamFileByName = new Map()
  const hooks = []

  const fail = (file, err) => {
    const message = explained(err) ? err.message : describeLoadFailure(err, projectDir, file)
    const stack = explained(err) ? '' : String((err && err.stack) || '')
    loadErrors.push({ file, message, stack })
    if (log) log.error('step file failed to load', { file, error: message })
  }

  for (const file of found.steps) {
    const abs = path.join(projectDir, file)
    note(file)
    try {
      const step = checkStep(await importFile(abs))
      const name = typeof step.config.name === 'string' ? step.config.name : ''
      const type = typeof step.config.type === 'string' ? step.config.type : ''
      const warning = arityWarning(type, step.handler)
      if (warning && log) log.warn('step handler signature looks wrong', { file, warning })
      if (name && stepFileByName.has(name)) {
        throw new StepLoadError(`duplicate step name '${name}': already defined in ${stepFileByName.get(name)}`)
      }
      let configJson
      try {
        configJson = JSON.stringify(toJsonValue(step.config, abs))
      } catch (err) {
        throw new StepLoadError(`config cannot be sent to the host: ${err.message}`)
      }
      if (name) stepFileByName.set(name, file)
      const flows = Array.isArray(step.config.flows) ? step.config.flows.filter((f) => typeof f === 'string') : []
      steps.push({ name, type, handler: step.handler, middleware: step.middleware, file, flows,
        manifest: { name, type, configJson, file } })
    } catch (err) {
      fail(file, err)
    }
  }

  for (const file of found.streams) {
    const abs = path.join(projectDir, file)
    note(file)
    try {
      const { config } = exportsOf(await importFile(abs))
      if (config === undefined) throw new StepLoadError("missing export 'config'")
      if (!isPlainObject(config)) throw new StepLoadError(`config must be an object, got ${describeValue(config)}`)
      const name = typeof config.name === 'string' ? config.name : ''
      if (name && streamFileByName.has(name)) {
        throw new StepLoadError(`duplicate stream name '${name}': already defined in ${streamFileByName.get(name)}`)
      }
      let configJson
      try {
        configJson = JSON.stringify(toJsonValue(config, abs))
      } catch (err) {
        throw new StepLoadError(`config cannot be sent to the host: ${err.message}`)
      }
      const accessHook = canAccessHook(name, config)
      if (accessHook) {
        // The host asks this sidecar before each join; the function itself stays here.
        configJson = JSON.stringify({ ...JSON.parse(configJson), canAccess: true })
        hooks.push(accessHook)
      }
      if (name) streamFileByName.set(name, file)
      streams.push({ name, configJson, file })
    } catch (err) {
      fail(file, err)
    }
  }
  note('')
  const authHook = await loadAuthHook(projectDir, fail)
  if (authHook) hooks.push(authHook)
  return { steps, streams, loadErrors, hooks }
}

/**
 * Keeps the path being imported in the supervisor's STEPHOST_LOAD_PROGRESS file
 * (written synchronously: a file that hangs at import blocks this thread), so the
 * host can name a file that never finishes importing when the hello deadline passes.
 */
function progressNote(file) {
  return (rel) => {
    if (!file) return
    try {
      fs.writeFileSync(file, rel)
    } catch {
      // only a diagnosis aid: never a reason not to load
    }
  }
}

module.exports = { discover, loadProject, installImportHooks, describeLoadFailure, checkStep }
