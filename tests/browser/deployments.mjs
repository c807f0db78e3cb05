// Drives the Workbench's Deployments panel in Debian's chromium (headless, playwright-core):
// the history, a completed deployment's phases and log, then a rollback to #1 (asked first).
// Prints what it saw as JSON and saves deployments.png. Usage: node deployments.mjs '<json>'
// with {base, token, out, userDataDir}; test_deployments_browser.py checks the host's side.
import { launch } from './browser.mjs'

const input = JSON.parse(process.argv[2])
const WAIT = 60_000 // generous: the machine may be loaded and a rollback is a real switch
const context = await launch(input.userDataDir, { width: 1440, height: 900 })
const page = await context.newPage()
const seen = { console: [] }
page.on('console', (msg) => seen.console.push(msg.text()))
const shot = (name) => page.screenshot({ path: `${input.out}/${name}.png`, fullPage: false })
const phases = () =>
  page.$$eval('[data-phase]', (els) => Object.fromEntries(els.map((e) => [e.dataset.phase, e.dataset.phaseStatus])))

try {
  await page.goto(`${input.base}/__stephost/workbench/#token=${input.token}`)
  await page.click('[data-panel="deployments"]')
  await page.waitForSelector('[data-deploy-row="2"]', { timeout: WAIT })
  seen.rows = await page.$$eval('[data-deploy-row]', (els) =>
    els.map((e) => ({ number: Number(e.dataset.deployRow), text: e.textContent })),
  )
  // The newest is shown first: completed, its phases and its log.
  await page.waitForSelector('[data-deployment="2"] [data-phase="cache_invalidation"]', { timeout: WAIT })
  await page.waitForSelector('[data-deploy-log]:has-text("completed")', { timeout: WAIT })
  seen.latest = {
    status: await page.textContent('[data-deployment="2"] .dstatus'),
    progress: await page.getAttribute('[data-deployment="2"] .progress', 'data-progress'),
    phases: await phases(),
    rollbackOffered: (await page.$('[data-rollback]')) !== null, // not for the active one
  }
  await shot('deployments')

  // Roll back to #1: the button asks first, then the new rollback record is shown.
  await page.click('[data-deploy-row="1"]')
  await page.waitForSelector('[data-deployment="1"] [data-rollback]', { timeout: WAIT })
  await page.click('[data-rollback]')
  seen.asked = await page.textContent('.confirm', { timeout: WAIT })
  await page.click('[data-confirm]')
  await page.waitForSelector('[data-deployment="3"] .ds-completed', { timeout: WAIT })
  await page.waitForSelector('[data-deploy-row="1"] .w-active', { timeout: WAIT })
  seen.rollback = {
    text: await page.textContent('[data-deployment="3"] h3'),
    phases: await phases(),
    offered: (await page.$('[data-rollback]')) !== null, // a rollback record is not a target
  }
  await shot('deployments-rollback')
} catch (e) {
  seen.error = String(e && e.stack ? e.stack : e)
  await shot('failed-deployments').catch(() => {})
} finally {
  await context.close()
}
console.log(JSON.stringify(seen))
