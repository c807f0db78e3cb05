const { NonRetryableError, RetryableError } = require('stephost')

exports.config = {
  name: 'conf-typed', type: 'event', subscribes: ['conf.typed'], emits: [], flows: ['conformance'],
  infrastructure: { queue: { maxRetries: 3 } },
}

exports.handler = async (input, { state }) => {
  if (input.mode === 'fatal') throw new NonRetryableError(`fatal: ${input.id}`)
  const n = ((await state.get('conf-typed', input.id)) || 0) + 1
  await state.set('conf-typed', input.id, n)
  if (n === 1) {
    await state.set('conf-typed-at', input.id, Date.now() / 1000)
    throw new RetryableError('later', 1)
  }
  const first = await state.get('conf-typed-at', input.id)
  await state.set('conf', `typed-${input.id}`, { attempts: n, waited: Date.now() / 1000 - first })
}
