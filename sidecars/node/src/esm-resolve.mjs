// ESM resolve hook (runs on Node's loader thread): bare specifiers the project
// cannot resolve itself but the sidecar provides, such as `stephost` for the
// error classes. The project's own package of that name always wins.
let fallbacks = {}

export function initialize(data) {
  fallbacks = (data && data.fallbacks) || {}
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (err) {
    const url = Object.hasOwn(fallbacks, specifier) ? fallbacks[specifier] : undefined
    if (url && err && err.code === 'ERR_MODULE_NOT_FOUND') return { url, format: 'commonjs', shortCircuit: true }
    throw err
  }
}
