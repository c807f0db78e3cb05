exports.config = { name: 'ingress-js', type: 'event', subscribes: ['ingress.hit'], emits: [], flows: ['ingress'] }

exports.handler = async (data, ctx) => {
  await ctx.state.set('ingress-hits', `${data.id}:node`, { lang: 'node', traceId: ctx.traceId, data })
}
