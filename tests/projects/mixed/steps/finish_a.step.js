exports.config = { name: 'mixed-js-a', type: 'event', subscribes: ['mixed.a2'], emits: [], flows: ['mixed'] }

exports.handler = async (data, ctx) => {
  const seen = await ctx.state.get('mixed', data.id)
  await ctx.state.set('mixed', data.id, [...seen, { lang: 'javascript', traceId: ctx.traceId }])
}
