// Keeps a Workbench page open in Debian's chromium (headless) until stdin closes: `make
// bench` measures the host with the page's live log tail and trace polling running.
// Usage: node hold_workbench.mjs '<json>' with {base, token, userDataDir}; prints "open" when loaded.
import { launch } from './browser.mjs'

const input = JSON.parse(process.argv[2])
const context = await launch(input.userDataDir)
const page = `${input.base}/__stephost/workbench/#token=${input.token}`
const logs = await context.newPage()
await logs.goto(page)
await logs.evaluate(() => (location.hash = '#/logs'))
await logs.waitForSelector('[data-tail="live"]', { timeout: 30_000 })
const traces = await context.newPage()
await traces.goto(page)
await traces.evaluate(() => (location.hash = '#/traces'))
await traces.waitForSelector('.panel.traces [data-trace], .panel.traces .empty', { timeout: 30_000 })
console.log('open')
process.stdin.resume()
process.stdin.on('end', async () => {
  await context.close()
  process.exit(0)
})
