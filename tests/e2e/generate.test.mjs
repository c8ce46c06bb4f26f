// Streaming a generation into the page: the real page, the real companion,
// the Ollama stand-in (fed by the real SmolLM2 model when the test setup
// serves it), in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCompanion, startStandin, launchBrowser, openPage, hasRealModel } from './support.mjs';

let standin;
let companion;
let browser;

before(async () => {
  standin = await startStandin();
  const backends = ['--backend', `gpu0:ollama=${standin.url}`];
  if (process.env.CHIMERA_TEST_LLAMA_URL) backends.push('--backend', `cpu:openai=${process.env.CHIMERA_TEST_LLAMA_URL}`);
  companion = await startCompanion(backends);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await companion?.stop();
  await standin?.stop();
});

async function askPage() {
  const opened = await openPage(browser, companion.url);
  await opened.page.waitForSelector('[data-testid=ask-backend] option[value=gpu0]', { state: 'attached' });
  return opened;
}

async function run(page, backend, model, numPredict = '16') {
  await page.selectOption('[data-testid=ask-backend]', backend);
  await page.waitForSelector(`[data-testid=ask-model] option[value="${model}"]`, { state: 'attached' });
  await page.selectOption('[data-testid=ask-model]', model);
  await page.locator('details.options-box summary').click();
  await page.fill('[data-testid=ask-option-num_predict]', numPredict);
  await page.fill('[data-testid=ask-option-temperature]', '0');
  await page.click('[data-testid=ask-run]');
}

const phase = (page) => page.locator('[data-testid=ask-live] [data-testid=phase]').innerText();

test('the real model streams into the page through the Ollama path, with timing figures', { skip: !hasRealModel() && 'no real model' }, async () => {
  const { page, errors } = await askPage();
  await run(page, 'gpu0', 'smollm2:135m');
  await page.waitForFunction(() => document.querySelector('[data-testid=ask-live] [data-testid=phase]')?.innerText === 'done', null, { timeout: 60_000 });
  const output = await page.locator('[data-testid=ask-live] [data-testid=output]').innerText();
  assert.ok(output.trim().length > 0, 'some text');
  assert.match(await page.locator('[data-testid=m-ttft]').innerText(), /^\d+(\.\d)? ms$/);
  assert.match(await page.locator('[data-testid=m-rate]').innerText(), /^\d+\.\d\d tok\/s$/);
  assert.match(await page.locator('[data-testid=m-eval]').innerText(), /\((1[0-6]|[1-9]) tokens\)/);
  assert.deepEqual(errors, []);
});

test('the OpenAI-compatible path names the options it cannot apply', { skip: !hasRealModel() && 'no real model' }, async () => {
  const { page } = await askPage();
  await page.selectOption('[data-testid=ask-backend]', 'cpu');
  await page.locator('details.options-box summary').click();
  await page.fill('[data-testid=ask-option-num_gpu]', '99');
  await page.fill('[data-testid=ask-option-num_predict]', '8');
  await page.click('[data-testid=ask-run]');
  await page.waitForFunction(() => document.querySelector('[data-testid=ask-live] [data-testid=phase]')?.innerText === 'done', null, { timeout: 60_000 });
  assert.match(await page.locator('[data-testid=ask-live]').innerText(), /num_gpu: GPU offload is fixed/);
});

test('Stop ends the generation, keeps the text, and the backend sees the disconnect', async () => {
  const { page } = await askPage();
  const before = standin.disconnects();
  await run(page, 'gpu0', 'standin/endless', '');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=ask-live] [data-testid=tokens]')?.innerText) >= 5);
  await page.click('[data-testid=ask-stop]');
  await page.waitForFunction(() => document.querySelector('[data-testid=ask-live] [data-testid=phase]')?.innerText === 'stopped');
  assert.match(await page.locator('[data-testid=ask-live] [data-testid=output]').innerText(), /t0 t1 t2 t3/);
  const deadline = Date.now() + 2000;
  while (standin.disconnects() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(standin.disconnects(), before + 1);
});

test('a mid-stream backend error is shown and the partial text kept', async () => {
  const { page } = await askPage();
  await run(page, 'gpu0', 'standin/error-midstream');
  await page.waitForSelector('[data-testid=ask-live] [data-testid=generation-error]');
  assert.equal(await phase(page), 'failed');
  assert.match(await page.locator('[data-testid=generation-error]').innerText(), /CUDA error: out of memory/);
  assert.equal(await page.locator('[data-testid=ask-live] [data-testid=output]').innerText(), 'Hello from the');
});

test('an invalid option is refused before anything is sent', async () => {
  const { page } = await askPage();
  await page.locator('details.options-box summary').click();
  await page.fill('[data-testid=ask-option-temperature]', 'hot');
  await page.click('[data-testid=ask-run]');
  assert.match(await page.locator('[data-testid=form-error]').innerText(), /temperature must be a number/);
});
