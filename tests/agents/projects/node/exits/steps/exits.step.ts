export const config = { type: 'event', name: 'agent-exits-node', subscribes: ['agent.exits'] }
export const handler = async () => {}

if (!process.argv.includes('--check')) {
  // A worker that dies a moment after its hello (a crash the deploy must see).
  setTimeout(() => {
    process.stderr.write('exiting on purpose\n')
    process.exit(3)
  }, 1000)
}
