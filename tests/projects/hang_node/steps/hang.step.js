// Spins at import: blocks the sidecar's only thread, so it never says hello.
exports.config = { name: 'hang-js', type: 'api', path: '/hang', method: 'GET' }
const until = Date.now() + 3600 * 1000
while (Date.now() < until) { /* busy */ }
