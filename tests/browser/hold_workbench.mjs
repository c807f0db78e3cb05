// Keeps a Workbench page open in Debian's chromium (headless) until stdin closes: `make
// bench` measures the host with the page's live log tail and trace polling running.
// Usage: node hold_workbench.mjs '<json>' with {base, token, userDataDir}; prints "open" when loaded.
import { chromium } from 'playwright-core'

const input = JSON.parse(process.argv[2])
const context = await chromium.launchPersistentContext(input.userDataDir, {
  executablePath: process.env.STEPHOST_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
})
const page = `${input.base}/__stephost/workbench/#token=${input.token}`
const logs = await context.newPage()
await logs.goto(page)
await logs.evaluate(() => (location.hash = '#/logs'))
await logs.waitForSelector('[data-tail="live"]', { timeout: 30_000 })
const traces = await context.newPage()
await traces.goto(page)
await traces.evaluate(() => (location.hash = '#/traces'))
console.log('open')
process.stdin.resume()
process.stdin.on('end', async () => {
  await context.close()
  process.exit(0)
})
