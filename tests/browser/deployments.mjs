// Drives the Workbench's Deployments panel in Debian's chromium (headless, playwright-core):
// the history; a running deploy (held at a test pause point) shown live, then cancelled; a
// staged one promoted; a rollback to #1; and a refused action, whose reason is shown in words.
// Every action asks first. Prints what it saw as JSON and saves deployments*.png.
// Usage: node deployments.mjs '<json>' with {base, token, out, userDataDir};
// test_deployments_browser.py prepares the deploys and checks the host's side.
import { launch } from './browser.mjs'

const input = JSON.parse(process.argv[2])
const WAIT = 90_000 // generous: the machine may be loaded and a switch is a real one
const context = await launch(input.userDataDir, { width: 1440, height: 900 })
const page = await context.newPage()
const seen = { console: [] }
page.on('console', (msg) => seen.console.push(msg.text()))
const shot = (name) => page.screenshot({ path: `${input.out}/${name}.png`, fullPage: false })
const phases = () =>
  page.$$eval('[data-phase]', (els) => Object.fromEntries(els.map((e) => [e.dataset.phase, e.dataset.phaseStatus])))
const row = async (n) => {
  await page.click(`[data-deploy-row="${n}"]`)
  await page.waitForSelector(`[data-deployment="${n}"]`, { timeout: WAIT })
}
// Asks, confirms, and returns the question the page asked.
const act = async (name) => {
  await page.click(`[data-${name}]`, { timeout: WAIT })
  const asked = await page.textContent('.confirm', { timeout: WAIT })
  await page.click('[data-confirm]')
  return asked
}

try {
  await page.goto(`${input.base}/__stephost/workbench/#token=${input.token}`)
  await page.click('[data-panel="deployments"]')
  await page.waitForSelector('[data-deploy-row="3"]', { timeout: WAIT })
  seen.rows = await page.$$eval('[data-deploy-row]', (els) =>
    els.map((e) => ({ number: Number(e.dataset.deployRow), text: e.textContent })),
  )

  // #3 is running (held in build): its phases and log move live; cancel it.
  await page.waitForSelector('[data-deployment="3"] [data-deploy-log]:has-text("test pause point")', {
    timeout: WAIT,
  })
  seen.running = { phases: await phases(), offered: (await page.$('[data-rollback], [data-promote]')) !== null }
  await shot('deployments-running')
  seen.cancel = { asked: await act('cancel') }
  await page.waitForSelector('[data-deployment="3"] .ds-cancelled', { timeout: WAIT })
  seen.cancel.note = await page.textContent('[data-note]')
  seen.cancel.phases = await phases()

  // #2 was staged (--no-promote): promote it; the promote's own record shows, then completes.
  await row(2)
  seen.promote = { asked: await act('promote') }
  await page.waitForSelector('[data-deployment="4"] .ds-completed', { timeout: WAIT })
  await page.waitForSelector('[data-deploy-row="2"] .w-active', { timeout: WAIT })

  // Back to #1.
  await row(1)
  seen.rollback = { asked: await act('rollback') }
  await page.waitForSelector('[data-deployment="5"] .ds-completed', { timeout: WAIT })
  await page.waitForSelector('[data-deploy-row="1"] .w-active', { timeout: WAIT })
  seen.rollback.text = await page.textContent('[data-deployment="5"] h3')
  seen.rollback.offered = (await page.$('[data-rollback]')) !== null // a rollback record is not a target
  await shot('deployments')

  // A refusal in words: the host's secret changed under the open page (a restarted host with a
  // new secret); rolling back to #2 is then refused, and the page says why.
  await row(2)
  await page.evaluate(() => sessionStorage.setItem('stephost-token', 'an-old-secret'))
  seen.refusedAsked = await act('rollback')
  await page.waitForSelector('[data-note].bad', { timeout: WAIT })
  seen.refused = await page.textContent('[data-note].bad')
  await shot('deployments-refused')
} catch (e) {
  seen.error = String(e && e.stack ? e.stack : e)
  await shot('failed-deployments').catch(() => {})
} finally {
  await context.close()
}
console.log(JSON.stringify(seen))
