// The ctx surface in an event step (README, conf-ctx-event): the same fields,
// with topic set to the topic the event arrived on. Plain ctx access, no
// destructuring, in CommonJS.
const config = {
  type: 'event',
  name: 'conf-ctx-event',
  subscribes: ['conf.ctx'],
  emits: [],
  flows: ['conformance', 'ctx'],
}

const handler = async (input, ctx) => {
  const child = ctx.logger.child({ probe: 'event' })
  child.info('ctx probe', { lang: 'node' })
  await ctx.state.set('conf-ctx', 'event', { step: ctx.step, topic: ctx.topic, traceId: ctx.traceId, attempt: ctx.attempt, flows: ctx.flows })
}

module.exports = { config, handler }
