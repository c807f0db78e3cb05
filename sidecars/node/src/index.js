'use strict'
// The public surface a step author imports: `require('stephost')` or
// `import { NonRetryableError } from 'stephost'` (the sidecar resolves that
// name to this file when the project has no package of its own called so).
// Written as plain `exports.x =` so ESM named imports of this CJS file work.
const errors = require('./errors')

exports.NonRetryableError = errors.NonRetryableError
exports.RetryableError = errors.RetryableError
