// Keeps a Workbench page open in Debian's chromium (headless) until stdin closes: `make
// bench` measures the host with the page's live log tail and trace polling running.
// Usage: node hold_workbench.mjs '<json>' with {base, token, userDataDir}; prints "open" when
// loaded. A line "mark" on stdin starts counting what the host sends the tabs; when stdin
// closes it prints, as one JSON line, {seconds, requests: {path: count}, bytes} since the mark.
import { createInterface } from 'node:readline'
import { launch } from './browser.mjs'

const input = JSON.parse(process.argv[2])
const context = await launch(input.userDataDir)
const page = `${input.base}/__stephost/workbench/#token=${input.token}`
let counted = { since: Date.now(), requests: {}, bytes: 0 }

// What the host sends a tab, seen by chromium's network layer (every request and every byte
// of every answer, the live tail's events among them).
async function open(hash, ready) {
  const tab = await context.newPage()
  const cdp = await context.newCDPSession(tab)
  await cdp.send('Network.enable')
  cdp.on('Network.requestWillBeSent', ({ request }) => {
    const path = new URL(request.url).pathname.replace(/\/traces\/[^/]+$/, '/traces/{trace}')
    counted.requests[path] = (counted.requests[path] || 0) + 1
  })
  cdp.on('Network.dataReceived', ({ dataLength }) => (counted.bytes += dataLength))
  await tab.goto(page)
  await tab.evaluate((h) => (location.hash = h), hash)
  await tab.waitForSelector(ready, { timeout: 30_000 })
}

await open('#/logs', '[data-tail="live"]')
await open('#/traces', '.panel.traces [data-trace], .panel.traces .empty')
console.log('open')
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line.trim() === 'mark') counted = { since: Date.now(), requests: {}, bytes: 0 }
})
lines.on('close', async () => {
  const { since, requests, bytes } = counted
  console.log(JSON.stringify({ seconds: (Date.now() - since) / 1000, requests, bytes }))
  await context.close()
  process.exit(0)
})
