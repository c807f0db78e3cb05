// The Streams panel on a project with a stream auth hook (tests/projects/streams): the socket
// admits the host's secret only to the host's own streams, so the panel follows the group
// over the admin API's event stream instead (never polling it). Prints what it saw as JSON;
// saves streams-hooked.png.
// Usage: node streams_fallback.mjs '<json>' with {base, token, out, userDataDir}.
import { launch } from './browser.mjs'

const input = JSON.parse(process.argv[2])
const WAIT = 30_000
const context = await launch(input.userDataDir, { width: 1440, height: 900 })
const page = await context.newPage()
const seen = { console: [], polled: [] }
page.on('console', (msg) => seen.console.push(msg.text()))
page.on('request', (r) => r.url().endsWith('/stream-groups/private/alice') && seen.polled.push(r.url()))
const put = (id) =>
  page.evaluate(
    (id) =>
      fetch(`/todo/private/alice/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: id }),
      }).then((r) => r.status),
    id,
  )
try {
  await page.goto(`${input.base}/__stephost/workbench/#token=${input.token}`)
  await page.click('[data-panel="streams"]')
  await page.click('[data-stream-group="private/alice"]', { timeout: WAIT })
  await page.waitForSelector('[data-socket="admin"]', { timeout: WAIT })
  await page.waitForSelector('[data-item="note"]', { timeout: WAIT })
  const started = Date.now()
  seen.status = await put('later')
  await page.waitForSelector('[data-item="later"]', { timeout: WAIT })
  seen.appearedMs = Date.now() - started
  await page.screenshot({ path: `${input.out}/streams-hooked.png` })
} catch (e) {
  seen.error = String(e && e.stack ? e.stack : e)
} finally {
  await context.close()
}
console.log(JSON.stringify(seen))
