# Constant style: CONFIG instead of `def config`.
CONFIG = {
  type: "api",
  name: "conf-state",
  method: "POST",
  path: "/state/:group",
  emits: [],
  flows: ["conformance"]
}.freeze

def handler(req, ctx)
  g = req.path_params[:group]
  key = req.body[:key]
  state = ctx.state
  r1 = state.set(g, key, req.body[:value])
  r2 = state.get(g, key)
  r3 = state.getGroup(g)
  r4 = state.delete(g, key)
  r5 = state.get(g, key)
  state.set(g, "a", 1)
  state.set(g, "b", 2)
  state.clear(g)
  r6 = state.get_group(g)
  { status: 200, body: { set: r1, get: r2, group: r3, deleted: r4, afterDelete: r5, afterClear: r6 } }
end
