// Sharing from the page: a stored link opened in a fresh browser context,
// revocation, a fragment-only link, and the history list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCompanion, startStandin, launchBrowser, openPage, exampleZip } from './support.mjs';

let standin;
let companion;
let browser;

before(async () => {
  standin = await startStandin();
  companion = await startCompanion(['--backend', `gpu0:ollama=${standin.url}`]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await companion?.stop();
  await standin?.stop();
});

async function finishedRun() {
  const opened = await openPage(browser, companion.url);
  const { page } = opened;
  await page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await page.waitForSelector('[data-testid=agent_a-model] option[value="standin/report"]', { state: 'attached' });
  await page.selectOption('[data-testid=agent_a-model]', 'standin/report');
  await page.selectOption('[data-testid=agent_b-model]', 'standin/report');
  await page.selectOption('[data-testid=run-mode]', 'pipeline');
  await page.click('[data-testid=run-start]');
  await page.waitForSelector('[data-testid=share]', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=saved-state]')?.innerText.startsWith('Saved'));
  return opened;
}

test('a shared link opens the same report in a fresh browser, until revoked', async () => {
  const { page } = await finishedRun();
  await page.getByRole('tab', { name: 'Agent A report' }).click();
  const original = await page.locator('[data-testid=report-body]').innerText();
  await page.click('[data-testid=share-button]');
  const link = await page.locator('[data-testid=share-link]').inputValue();
  assert.match(link, /\/r\/[0-9a-f]{32}$/);

  const fresh = await browser.newContext();
  const viewer = await fresh.newPage();
  const errors = [];
  viewer.on('pageerror', (e) => errors.push(e));
  const response = await viewer.goto(link);
  assert.equal(response.status(), 200);
  await viewer.waitForSelector('[data-testid=shared-report] [data-testid=report-body]');
  await viewer.getByRole('tab', { name: 'Agent A report' }).click();
  assert.equal(await viewer.locator('[data-testid=report-body]').innerText(), original);
  assert.deepEqual(errors, []);

  // Without the worker (its module cannot be fetched) the report is still
  // there, as its Markdown, with a note saying why.
  const bare = await fresh.newPage();
  await bare.route('**/chimera_reader_bg.wasm', (route) => route.abort());
  await bare.goto(link);
  await bare.waitForSelector('[data-testid=shared-report] [data-testid=report-body]');
  assert.match(await bare.locator('[data-testid=reports]').innerText(), /could not be rendered \(could not load the reader/);
  assert.match(await bare.locator('[data-testid=report-body]').innerText(), /^# /m);

  // The owner revokes it from the history; the link then answers 410.
  await page.locator('[data-testid=history] summary').click();
  await page.waitForSelector('[data-testid=history-row]');
  assert.match(await page.locator('[data-testid=history-state]').first().innerText(), /^shared/);
  await page.locator('[data-testid=revoke]').first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid=history-state]')?.innerText === 'revoked');
  const gone = await viewer.goto(link);
  assert.equal(gone.status(), 410);
  assert.match(await viewer.locator('[data-testid=link-error]').innerText(), /revoked/);
  await fresh.close();
});

test('a fragment link carries the report without any server storage', async () => {
  const { page } = await finishedRun();
  const link = await page.locator('[data-testid=fragment-link]').inputValue();
  assert.match(link, /\/#report=/);
  // A browser with no companion state: the report comes from the URL alone.
  const fresh = await browser.newContext();
  const viewer = await fresh.newPage();
  const requests = [];
  viewer.on('request', (r) => requests.push(r.url()));
  await viewer.goto(link);
  await viewer.waitForSelector('[data-testid=shared-report] [data-testid=report-body]');
  assert.match(await viewer.locator('[data-testid=report-body]').innerText(), /Chimera Combined Report/);
  assert.ok(requests.every((u) => !u.includes('/api/')), `no API calls: ${requests.join(', ')}`);
  assert.ok(requests.every((u) => !u.includes('report=')), 'the fragment is never sent');
  await fresh.close();
});

test('a damaged fragment link says what is wrong with it', async () => {
  const context = await browser.newContext();
  const errors = [];
  for (const [fragment, message] of [
    // Valid base64url, but not compressed data.
    ['bm90IGEgcmVwb3J0', /the link is damaged \(not compressed data\)/],
    ['***', /the link is damaged \(not base64url\)/],
  ]) {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(`${companion.url}/#report=${fragment}`);
    assert.match(await page.locator('[data-testid=shared-error]').innerText(), message);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('an unknown report link shows a clear 404 page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${companion.url}/r/0123456789abcdef0123456789abcdef`);
  assert.equal(response.status(), 404);
  assert.match(await page.locator('[data-testid=link-error]').innerText(), /Report not found/);
  await context.close();
});
