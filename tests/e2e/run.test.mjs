// The agents in the page: upload the example, run both agents on the
// companion's backends, watch them live, read the report and download its
// files. Real page, real companion, Ollama stand-in (scripted, and fed by the
// real SmolLM2 model when the test setup serves it), headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startCompanion, startStandin, launchBrowser, openPage, exampleZip, hasRealModel } from './support.mjs';

let standin;
let companion;
let browser;

before(async () => {
  standin = await startStandin();
  companion = await startCompanion(['--backend', `gpu0:ollama=${standin.url}`, '--backend', `gpu1:ollama=${standin.url}`]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await companion?.stop();
  await standin?.stop();
});

async function pageWithExample() {
  const opened = await openPage(browser, companion.url);
  await opened.page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await opened.page.waitForSelector('[data-testid=run-panel]');
  await opened.page.waitForSelector('[data-testid=agent_a-backend] option[value=gpu1]', { state: 'attached' });
  return opened;
}

async function chooseModel(page, agent, model) {
  await page.waitForSelector(`[data-testid=${agent}-model] option[value="${model}"]`, { state: 'attached' });
  await page.selectOption(`[data-testid=${agent}-model]`, model);
}

test('both agents run, the report shows the fact check, and the files download', async () => {
  const { page, errors } = await pageWithExample();
  // Each agent gets its own backend by default.
  assert.equal(await page.locator('[data-testid=agent_a-backend]').inputValue(), 'gpu0');
  assert.equal(await page.locator('[data-testid=agent_b-backend]').inputValue(), 'gpu1');
  await chooseModel(page, 'agent_a', 'standin/report');
  await chooseModel(page, 'agent_b', 'standin/report');
  await page.click('[data-testid=run-start]');
  await page.waitForSelector('[data-testid=reports]', { timeout: 60_000 });
  assert.match(await page.locator('[data-testid=agent_a-step]').innerText(), /run 1 · together with the other agent · report stage/);
  assert.equal(await page.locator('[data-testid=agent_a-live] [data-testid=phase]').innerText(), 'done');
  const combined = await page.locator('[data-testid=report-body]').innerText();
  assert.match(combined, /Chimera Combined Report/);
  assert.match(combined, /Speedup/);
  await page.getByRole('tab', { name: 'Agent A report' }).click();
  const report = await page.locator('[data-testid=report-body]').innerText();
  assert.match(report, /wrote 47 JSON files; the inventory has 44/);
  assert.match(report, /Files analyzed: 101 \(28 CSV, 44 JSON, 29 Markdown/);
  assert.match(report, /TTFT varies widely/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-metrics-json]')]);
  const metrics = JSON.parse(await fs.readFile(await download.path(), 'utf8'));
  assert.equal(metrics.schema, 'chimera.run/1');
  assert.equal(metrics.agents.agent_a.figures.tokens_per_second, 60);
  assert.equal(metrics.inventory.files, 107);
  assert.equal(metrics.concurrency.per_run.length, 1);
  assert.deepEqual(errors, []);
});

test('model output cannot run script in the page', async () => {
  const { page } = await pageWithExample();
  // The scripted report is Markdown; anything HTML-like in a model's text is shown as text.
  await chooseModel(page, 'agent_a', 'standin/report');
  await chooseModel(page, 'agent_b', 'standin/report');
  await page.click('[data-testid=run-start]');
  await page.waitForSelector('[data-testid=reports]', { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=report-body] script').count(), 0);
});

test('Stop ends a run and keeps the text that arrived', async () => {
  const { page } = await pageWithExample();
  await chooseModel(page, 'agent_a', 'standin/endless');
  await chooseModel(page, 'agent_b', 'standin/endless');
  await page.click('[data-testid=run-start]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=agent_a-live] [data-testid=tokens]')?.innerText) >= 3);
  await page.click('[data-testid=run-stop]');
  await page.waitForSelector('[data-testid=reports]', { timeout: 30_000 });
  assert.match(await page.locator('[data-testid=reports]').innerText(), /The run was stopped/);
  assert.match(await page.locator('[data-testid=agent_a-live] [data-testid=output]').innerText(), /t0 t1 t2/);
});

test('bad options are refused with the agent named', async () => {
  const { page } = await pageWithExample();
  await chooseModel(page, 'agent_b', 'standin/report');
  await page.locator('[data-testid=setup-agent_b] details.options-box summary').first().click();
  await page.fill('[data-testid=agent_b-option-top_p]', '7');
  await page.click('[data-testid=run-start]');
  assert.match(await page.locator('[data-testid=run-form-error]').innerText(), /Agent B: option top_p must be between 0 and 1/);
});

test('the real model writes a report in the page (pipeline mode)', { skip: !hasRealModel() && 'no real model' }, async () => {
  const { page, errors } = await pageWithExample();
  await chooseModel(page, 'agent_a', 'smollm2:135m');
  await chooseModel(page, 'agent_b', 'smollm2:135m');
  for (const agent of ['agent_a', 'agent_b']) {
    await page.locator(`[data-testid=setup-${agent}] details.options-box summary`).first().click();
    await page.fill(`[data-testid=${agent}-option-num_predict]`, '24');
    await page.fill(`[data-testid=${agent}-option-num_ctx]`, '1024');
    await page.fill(`[data-testid=${agent}-option-temperature]`, '0');
  }
  await page.selectOption('[data-testid=run-scenario]', 'chimera_hetero');
  await page.selectOption('[data-testid=run-mode]', 'pipeline');
  await page.click('[data-testid=run-start]');
  // Live figures appear while the first stage runs.
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid=agent_a-live] [data-testid=ttft]')?.innerText ?? ''), null, { timeout: 120_000 });
  await page.waitForSelector('[data-testid=reports]', { timeout: 240_000 });
  await page.getByRole('tab', { name: 'Agent B report' }).click();
  const report = await page.locator('[data-testid=report-body]').innerText();
  assert.match(report, /Throughput: \d+\.\d\d tok\/s/);
  assert.match(report, /Tokens Generated: \d+/);
  assert.deepEqual(errors, []);
});
