// Drives the Workbench in Debian's chromium (headless, via playwright-core: no browser
// download) through every panel, and prints what it saw as JSON. Each panel is also saved as
// a screenshot. Usage: node workbench.mjs '<json>' with {base, token, out, userDataDir}.
// The test (test_workbench_browser.py) prepares the host and checks the host's side after.
import { launch } from './browser.mjs'

const input = JSON.parse(process.argv[2])
const WAIT = 20_000 // generous: the machine may be loaded
const seen = { console: [] }

const context = await launch(input.userDataDir, { width: 1440, height: 900 })
const page = await context.newPage()
page.on('console', (msg) => seen.console.push(msg.text()))
const shot = (name) => page.screenshot({ path: `${input.out}/${name}.png`, fullPage: false })
const panel = async (id) => {
  await page.click(`[data-panel="${id}"]`)
  await page.waitForFunction((id) => location.hash.startsWith(`#/${id}`), id)
}
// The page's own fetch, so the call goes where a user's would.
const post = (path, body) =>
  page.evaluate(
    ([path, body]) =>
      fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        (r) => r.status,
      ),
    [path, body],
  )

async function step(name, work) {
  try {
    seen[name] = { ok: true, ...(await work()) }
  } catch (e) {
    seen[name] = { ok: false, error: String(e && e.stack ? e.stack : e) }
    await shot(`failed-${name}`).catch(() => {})
  }
}

try {
  // The address `stephost dev` prints: the secret after '#'.
  await page.goto(`${input.base}/__stephost/workbench/#token=${input.token}`)

  await step('flows', async () => {
    await page.click('[data-flow="shop"]', { timeout: WAIT })
    await page.waitForSelector('[data-node="place-order"]', { timeout: WAIT })
    const nodes = await page.$$eval('[data-node]', (els) => els.map((e) => e.dataset.node))
    const edges = await page.$$eval('[data-edge]', (els) =>
      els.map((e) => ({ edge: e.dataset.edge, virtual: e.classList.contains('virtual') })),
    )
    await page.click('[data-node="check-stock"]')
    await page.waitForSelector('.details h3', { timeout: WAIT })
    const details = await page.textContent('.details')
    await shot('flows')
    return { nodes, edges, details }
  })

  await step('endpoints', async () => {
    await panel('endpoints')
    await page.click('[data-endpoint="POST /shop/orders"]', { timeout: WAIT })
    await page.waitForSelector('[data-endpoint="POST /shop/orders"].active', { timeout: WAIT })
    const body = await page.inputValue('[data-body]')
    await page.fill('[data-body]', JSON.stringify({ item: 'lamp', quantity: 2 }, null, 2))
    await page.click('[data-send]')
    await page.waitForSelector('[data-answer] [data-status]', { timeout: WAIT })
    const status = (await page.textContent('[data-answer] [data-status]')).trim()
    const answer = await page.textContent('[data-answer] pre')
    await shot('endpoints')
    return { prefilled: body, status, answer }
  })

  await step('logs', async () => {
    await panel('logs')
    await page.waitForSelector('[data-tail="live"]', { timeout: WAIT })
    await page.fill('[data-filter="text"]', 'desk-3')
    const started = Date.now()
    const status = await post('/shop/orders', { item: 'desk', quantity: 3 })
    await page.waitForSelector('[data-log]:has-text("order placed")', { timeout: WAIT })
    const appearedMs = Date.now() - started
    await page.waitForSelector('[data-log]:has-text("order shipped")', { timeout: WAIT })
    await page.fill('[data-filter="text"]', '')
    const rows = await page.$$eval('[data-log]', (els) => els.length)
    const trace = await page.$eval('[data-log]:has-text("desk-3") .trace a', (a) => a.getAttribute('href'))
    await shot('logs')
    return { status, appearedMs, rows, trace }
  })

  await step('traces', async () => {
    // The log line's trace link opens the trace.
    await page.click(`a[href="${seen.logs.trace}"]`)
    await page.waitForFunction(() => location.hash.startsWith('#/traces/'))
    await page.waitForSelector('[data-span="ship-order"]', { timeout: WAIT })
    const spans = await page.$$eval('[data-span]', (els) => els.map((e) => e.dataset.span))
    const bars = await page.$$eval('[data-bar]', (els) => els.map((e) => e.getBoundingClientRect().width))
    const emits = await page.$$eval('.emit', (els) => els.map((e) => e.textContent))
    await shot('traces')
    return { hash: await page.evaluate(() => location.hash), spans, bars, emits }
  })

  // A hidden tab asks the host for nothing (its polls pause, the live tail closes) and
  // catches up at once when shown again. Chromium keeps a headless page visible, so the
  // page is told it is hidden the way a browser tells it (visibilityState + the event).
  await step('hidden', async () => {
    const show = (state) =>
      page.evaluate((state) => {
        Object.defineProperty(document, 'visibilityState', { value: state, configurable: true })
        document.dispatchEvent(new Event('visibilitychange'))
      }, state)
    const asked = []
    const traces = (r) => r.url().includes('/__stephost/traces')
    const note = (r) => traces(r) && asked.push(r.url())
    page.on('request', note)
    await show('hidden')
    // Asserting that nothing is asked takes a window: longer than the trace poll (3 s).
    await page.waitForTimeout(4000)
    page.off('request', note)
    const shownAt = Date.now()
    const again = page.waitForRequest(traces, { timeout: WAIT })
    await show('visible')
    await again
    const askedAgainMs = Date.now() - shownAt
    await panel('logs')
    await page.waitForSelector('[data-tail="live"]', { timeout: WAIT })
    await show('hidden')
    await page.waitForSelector('[data-tail="paused"]', { timeout: WAIT })
    await show('visible')
    await page.waitForSelector('[data-tail="live"]', { timeout: WAIT })
    return { askedWhileHidden: asked, askedAgainMs }
  })

  await step('state', async () => {
    await panel('state')
    await page.click('[data-group="settings"]', { timeout: WAIT })
    await page.click('[data-key="greeting"]', { timeout: WAIT })
    await page.waitForFunction(() => document.querySelector('[data-state-editor]')?.value.includes('hello'))
    await page.fill('[data-state-editor]', JSON.stringify({ text: 'edited in the workbench' }, null, 2))
    await page.click('[data-save]')
    await page.waitForSelector('[data-note]:has-text("saved")', { timeout: WAIT })
    await shot('state')
    // Delete asks first.
    await page.click('[data-key="doomed"]')
    await page.waitForFunction(() => document.querySelector('[data-state-editor]')?.value.includes('bye'))
    await page.click('[data-delete]')
    await page.waitForSelector('[data-confirm]', { timeout: WAIT })
    await page.click('[data-confirm]')
    await page.waitForSelector('[data-key="doomed"]', { state: 'detached', timeout: WAIT })
    return {}
  })

  await step('streams', async () => {
    // Items arrive over the stream WebSocket: the page never asks for the group again.
    const polled = []
    // The group list is live too (one server-sent events request), never polled.
    page.on('request', (r) => /\/stream-groups(\/(?!live)|$)/.test(new URL(r.url()).pathname) && polled.push(r.url()))
    await panel('streams')
    await page.waitForSelector('[data-groups="live"] [data-stream-group="board/orders"]', { timeout: WAIT })
    await page.click('[data-stream-group="board/orders"]')
    await page.waitForSelector('[data-socket="live"]', { timeout: WAIT })
    const started = Date.now()
    const status = await post('/shop/orders', { item: 'chair', quantity: 4 })
    await page.waitForSelector('[data-item="chair-4"]', { timeout: WAIT })
    const createdMs = Date.now() - started
    // Ruby's ship-order sets the same item again (status shipped): the card changes in place.
    await page.waitForSelector('[data-item="chair-4"]:has-text("shipped")', { timeout: WAIT })
    const updatedMs = Date.now() - started
    // The custom event Ruby's ship-order sends is listed under the items.
    const sent = await page.waitForSelector('[data-stream-event="shipped"]', { timeout: WAIT })
    const event = (await sent.textContent()).replace(/\s+/g, ' ')
    await shot('streams')
    return { status, createdMs, updatedMs, polled, event }
  })

  await step('deadLetters', async () => {
    await panel('dead-letters')
    await page.waitForSelector('[data-dead]', { timeout: WAIT })
    const before = await page.$$eval('[data-dead]', (els) => els.length)
    const shown = await page.textContent('.main')
    await shot('dead-letters')
    await page.click('[data-replay]')
    await page.waitForSelector('[data-note]:has-text("replayed 1")', { timeout: WAIT })
    return { before, shown }
  })

  // The same page in the system's dark setting (the screenshots are for a person to look at).
  await step('dark', async () => {
    await page.emulateMedia({ colorScheme: 'dark' })
    const ready = { flows: '[data-node]', logs: '[data-tail="live"]', traces: '[data-trace]', streams: '[data-socket="live"]' }
    for (const [id, selector] of Object.entries(ready)) {
      await panel(id)
      await page.waitForSelector(selector, { timeout: WAIT })
      await shot(`dark-${id}`)
    }
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)
    return { background }
  })
} finally {
  await context.close()
}
console.log(JSON.stringify(seen))
