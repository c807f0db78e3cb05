// A noop step as Motia writes them: config only, no handler.
module.exports = {
  config: {
    type: 'noop',
    name: 'conf-noop',
    virtualEmits: [],
    virtualSubscribes: [],
    flows: ['conformance'],
  },
}
