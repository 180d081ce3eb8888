import { chromium, type Browser } from 'playwright-core'

/** Debian's chromium, as reference/environment.md says: headless, no sandbox (root), nothing phoned home. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** playwright gives each launch a fresh temporary profile of its own. */
export async function launchBrowser (): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
  })
}
