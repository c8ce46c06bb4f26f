// Takes screenshots of the page with the example loaded, for the README and
// for looking at the page by eye: node e2e/screenshot.mjs OUT_DIR
import { startCompanion, launchBrowser, openPage, exampleZip } from './support.mjs';

const out = process.argv[2] ?? '.';
const companion = await startCompanion();
const browser = await launchBrowser();
try {
  for (const [name, viewport] of [['inventory', { width: 1280, height: 900 }], ['inventory-narrow', { width: 380, height: 900 }]]) {
    const { page } = await openPage(browser, companion.url, { viewport });
    await page.setInputFiles('[data-testid=zip-input]', exampleZip);
    await page.waitForSelector('[data-testid=inventory]');
    await page.screenshot({ path: `${out}/${name}.png`, fullPage: name === 'inventory' ? false : true });
  }
} finally {
  await browser.close();
  await companion.stop();
}
