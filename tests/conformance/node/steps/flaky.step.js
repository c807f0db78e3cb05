// JavaScript, CommonJS with exports.x assignments.
exports.config = {
  type: 'event',
  name: 'conf-flaky',
  subscribes: ['conf.flaky'],
  emits: [],
  flows: ['conformance'],
  infrastructure: { queue: { maxRetries: 3 } },
}

exports.handler = async (input, { state }) => {
  const n = ((await state.get('conf-flaky', input.id)) || 0) + 1
  await state.set('conf-flaky', input.id, n)
  if (n < 2) throw new Error('flaky failure')
  await state.set('conf', `flaky-${input.id}`, { attempts: n })
}
