import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium from Debian's package (`apt-get install chromium`, which .ci/run does
 * when it is missing), driven by playwright-core: no browser download. CHROMIUM_PATH
 * points elsewhere.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumInstalled = fs.existsSync(CHROMIUM_PATH);

/** Screenshots and other artefacts of browser tests: kept out of git (.gitignore). */
export const ARTIFACTS_DIR = path.resolve(__dirname, '../../.artifacts');

export function launchChromium(): Promise<Browser> {
  // launch() gives every browser a fresh, temporary profile (user data dir).
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
