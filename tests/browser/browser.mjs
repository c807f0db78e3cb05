// Debian's chromium, headless, through playwright-core (never a downloaded browser): the one
// launch every script here uses. `viewport` fixes the window for screenshots.
import { chromium } from 'playwright-core'

export function launch(userDataDir, viewport = undefined) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.STEPHOST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    ...(viewport ? { viewport } : {}),
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  })
}
