'use strict'
// The hooks layer, project-level hooks: project code the host calls outside any step
// (Invocation.hook), for the real-time stream WebSocket. Everything about
// them lives here: where they are defined, how they are keyed, how they run.
//
//   "stream_authenticate": `authenticate(request)` exported by the project's
//     stream-auth.ts|js turns {token, headers, query} into an auth context
//     (any JSON), or null to refuse the client.
//   "stream_can_access": a stream config's `canAccess(subscription,
//     authContext)` decides one join; Invocation.step names the stream. Only
//     exactly `true` grants access, so a slip fails closed.
//
// Hooks run in the runner like steps (same capacity, cancel and error
// results) but get no ctx.
const fs = require('node:fs')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

const AUTHENTICATE = 'stream_authenticate'
const CAN_ACCESS = 'stream_can_access'
const AUTH_FILE = /^stream-auth\.(?:ts|js|mjs|cjs|mts|cts)$/
// Where the auth file may live, in the order searched ('' is the project root).
const AUTH_DIRS = ['', 'steps', 'src']

/** A hook defined the wrong way; the message is the whole explanation. */
class HookDefinitionError extends Error {}

/** The runner's key for a hook: one per project-level hook, one per stream for access checks. */
function hookKey(name, stream = '') {
  return name === CAN_ACCESS ? `hook:${CAN_ACCESS}:${stream}` : `hook:${name}`
}

/** The runner's key for what an Invocation asks for ('' when it asks for a step). */
function invocationHookKey(invocation) {
  return invocation.hook ? hookKey(invocation.hook, invocation.step) : ''
}

/**
 * The stream_can_access hook of a stream config, or null when it has none.
 * Throws HookDefinitionError when `canAccess` is not a function.
 */
function canAccessHook(streamName, config) {
  const check = config.canAccess
  if (check === undefined) return null
  if (typeof check !== 'function') {
    throw new HookDefinitionError('config.canAccess must be a function (subscription, authContext) => boolean')
  }
  return {
    name: CAN_ACCESS,
    stream: streamName,
    run: async (payload) => (await check(payload.subscription, payload.authContext)) === true,
  }
}

/**
 * The project's stream-auth file (root, steps/ or src/; the first found) as
 * the stream_authenticate hook. Returns null when there is none; a broken
 * file goes to `fail(file, err)` like a broken step file.
 */
async function loadAuthHook(projectDir, fail) {
  for (const dir of AUTH_DIRS) {
    const folder = path.join(projectDir, dir)
    let names
    try {
      names = fs.readdirSync(folder)
    } catch {
      continue
    }
    const name = names.find((n) => AUTH_FILE.test(n))
    if (!name) continue
    const file = path.join(dir, name).split(path.sep).join('/')
    try {
      const mod = await import(pathToFileURL(path.join(folder, name)).href)
      const authenticate = mod.authenticate || (mod.default && mod.default.authenticate)
      if (typeof authenticate !== 'function') {
        throw new HookDefinitionError("missing export 'authenticate(request)' returning an auth context or null")
      }
      return { name: AUTHENTICATE, stream: '', run: async (request) => authenticate(request) }
    } catch (err) {
      fail(file, err)
      return null
    }
  }
  return null
}

/** Hello.hooks: the project-level hooks (access checks travel as "canAccess": true in stream manifests). */
function helloHookNames(hooks) {
  return hooks.filter((hook) => hook.name !== CAN_ACCESS).map((hook) => hook.name)
}

module.exports = {
  AUTHENTICATE, CAN_ACCESS, HookDefinitionError, hookKey, invocationHookKey, canAccessHook, loadAuthHook, helloHookNames,
}
