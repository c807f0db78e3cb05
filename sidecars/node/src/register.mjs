// `node --import stephost/register --test ...`: a test run imports TypeScript step files and
// resolves `stephost` exactly as the sidecar does when it loads them (one set of hooks: the
// loader's).
import { createRequire } from 'node:module'

const { installImportHooks } = createRequire(import.meta.url)('./loader.js')
await installImportHooks()
