// Opens the test page in Debian's chromium (headless, via playwright-core: no browser
// download) once per page URL, runs the fetch() cases there, prints the results as JSON.
// Usage: node cors.mjs '<json>' with {api, pages: [url], cases: [...], userDataDir,
// cookie?: {name, value}, screenshot?: path}.
import { chromium } from 'playwright-core'

const input = JSON.parse(process.argv[2])

const context = await chromium.launchPersistentContext(input.userDataDir, {
  executablePath: process.env.STEPHOST_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
const out = { pages: {}, console: [] }
try {
  if (input.cookie) await context.addCookies([{ ...input.cookie, url: input.api }])
  const page = await context.newPage()
  // Chromium says in the console why it blocked a response (a missing header, ...).
  page.on('console', (msg) => out.console.push(msg.text()))
  for (const url of input.pages) {
    await page.goto(url)
    out.pages[url] = await page.evaluate(([api, cases]) => window.runCases(api, cases), [input.api, input.cases])
    if (input.screenshot) {
      await page.screenshot({ path: input.screenshot, fullPage: true })
      input.screenshot = null // the first page only
    }
  }
} finally {
  await context.close()
}
process.stdout.write(JSON.stringify(out))
