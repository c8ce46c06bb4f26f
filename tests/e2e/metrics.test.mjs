// The metrics section: what the numbers inside the example folder say, drawn
// as SVG charts with tables beside them, and the findings. The expected
// figures are the example's, as `chimera inventory --json` reports them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startCompanion, launchBrowser, openPage, exampleZip, fixture, cliInventoryJson } from './support.mjs';

let companion;
let browser;
let example;

before(async () => {
  companion = await startCompanion();
  browser = await launchBrowser();
  example = JSON.parse(cliInventoryJson(exampleZip));
});

after(async () => {
  await browser?.close();
  await companion?.stop();
});

const text = (page, id) => page.locator(`[data-testid=${id}]`).first().innerText();

/** Opens the page with the example zip loaded and its metrics drawn. */
async function openExample(options) {
  const opened = await openPage(browser, companion.url, options);
  await opened.page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await opened.page.waitForSelector('[data-testid=metrics][data-drawn]');
  return opened;
}

/** The `<title>` text of every mark in a chart. */
const markTitles = (page, selector) =>
  page.locator(`${selector} svg.chart path.mk`).evaluateAll((marks) => marks.map((m) => m.querySelector('title')?.textContent ?? ''));

test('the metrics section counts the runs, configurations and files of the example', async () => {
  const { page, errors } = await openExample();
  assert.equal(await text(page, 'metrics-runs'), '203');
  assert.equal(await text(page, 'metrics-failed'), '86');
  assert.equal(await text(page, 'metrics-configurations'), '157');
  // 44 CSV, JSON and Markdown files, and two .txt reports read as text.
  assert.equal(await text(page, 'metrics-files'), '46');
  // The same totals as the JSON.
  assert.equal(example.metrics.totals.runs, 203);
  assert.equal(example.metrics.configurations.length, 157);

  // gemma3_270m_param_tuning.csv names no model; its path does.
  assert.match(await text(page, 'best-throughput'), /Highest mean throughput: gemma3:270m num_gpu=999 num_ctx=4096 temperature=0\.8, 303\.9 tok\/s from 1 run/);
  const sweep = page.locator('[data-testid=file-metrics-row]', { hasText: 'reports/gemma3/gemma3_270m_param_tuning.csv' });
  assert.match(await sweep.innerText(), /Names no model; gemma3:270m is read from its path\./);
  assert.match(await text(page, 'best-ttft'), /Lowest mean TTFT: .*53\.58 ms from 1 run/);
  assert.deepEqual(errors, []);
});

test('the configuration table holds the scatter plot\'s numbers and sorts them', async () => {
  const { page } = await openExample();
  // Long tables draw their first 100 rows; the filter narrows the rest.
  assert.equal(await text(page, 'config-count'), '157 of 157 configurations (first 100 shown)');
  assert.equal(await page.locator('[data-testid=config-row]').count(), 100);
  await page.fill('[data-testid=config-filter]', 'gemma3:270m');
  // The baseline's own configuration and the sweep's 36, named by its path.
  assert.equal(example.metrics.configurations.filter((c) => c.label.includes('gemma3:270m')).length, 37);
  assert.equal(await text(page, 'config-count'), '37 of 157 configurations');
  const rows = await page.locator('[data-testid=config-row]').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText)));
  const cells = rows.find((r) => r[0] === 'gemma3:270m');
  assert.deepEqual(cells, ['gemma3:270m', '5', '0', '283.6', '25.58', '63.19', '1621', 'reports/gemma3/gemma3_270m_baseline.json']);

  await page.fill('[data-testid=config-filter]', '');
  await page.selectOption('[data-testid=config-order]', 'ttft');
  const fastest = example.metrics.configurations
    .filter((c) => c.stats.ttft_ms)
    .reduce((a, b) => (b.stats.ttft_ms.median < a.stats.ttft_ms.median ? b : a));
  const first = await page.locator('[data-testid=config-row] td').first().innerText();
  assert.equal(first, fastest.label);
});

test('the scatter plot draws one mark per configuration, each naming its source file', async () => {
  const { page } = await openExample();
  const withBoth = example.metrics.configurations.filter((c) => c.stats.ttft_ms && c.stats.tokens_per_second);
  assert.equal(withBoth.length, 152);
  const titles = await markTitles(page, '[data-testid=chart-scatter]');
  assert.equal(titles.length, 152);
  assert.match(await text(page, 'scatter-count'), /^152 configurations with both means are drawn\. 5 without/);

  const gemma = titles.find((t) => t.startsWith('gemma3:270m\n'));
  assert.equal(
    gemma,
    'gemma3:270m\n283.6 tok/s mean throughput, 1621 ms mean TTFT, 5 runs\nFrom reports/gemma3/gemma3_270m_baseline.json',
  );
  // Axes: units, tick labels, and the log scale TTFT needs here.
  const labels = await page.locator('[data-testid=chart-scatter] svg text').allTextContents();
  assert.ok(labels.includes('Mean time to first token, ms (log scale)'), labels.join('|'));
  assert.ok(labels.includes('Mean throughput, tok/s'), labels.join('|'));
  assert.ok(labels.includes('1000') && labels.includes('300'), labels.join('|'));
  // The key names each model beside its marker.
  assert.match(await page.locator('[data-testid=chart-scatter] ul.legend').innerText(), /llama3\.1:8b-instruct-q8_0/);

  // A tap prints the mark's description under the chart.
  await page.locator('[data-testid=chart-scatter] svg.chart path.mk').nth(titles.indexOf(gemma)).dispatchEvent('click');
  assert.equal(await text(page, 'scatter-readout'), gemma);
});

test('the distribution chart draws every run of each model with its file and place', async () => {
  const { page } = await openExample();
  const values = (metric) => example.metrics.distributions
    .filter((d) => d.metric === metric)
    .reduce((sum, d) => sum + d.values.length, 0);
  const ttft = await markTitles(page, '[data-testid=chart-distribution] .metric-chart:not([hidden])');
  assert.equal(ttft.length, values('ttft_ms'));
  assert.ok(ttft.includes('gemma3:270m: 55.06 ms\nFrom reports/gemma3/gemma3_270m_baseline.json, results[4].ttft_s'), ttft.slice(0, 5).join('\n'));
  assert.ok(ttft.includes('llama3.1:8b-instruct-q4_0: 138.2 ms\nFrom csv_data/ollama_quant_bench.csv, line 2, column ttft_s'),
    ttft.filter((t) => t.includes('ollama_quant_bench')).join('\n'));
  const row = page.locator('[data-testid=chart-distribution] .metric-chart:not([hidden]) [data-testid=distribution-row]', { hasText: 'gemma3:270m' });
  // The baseline's 5 runs and the sweep's 34 successful ones (computed
  // independently from the two files: n, min, median, mean, p95, max).
  assert.deepEqual(await row.locator('td').allInnerTexts(), ['gemma3:270m', '39', '53.58', '68.18', '615.1', '1335', '7837']);

  await page.selectOption('[data-testid=distribution-metric]', 'tokens_per_second');
  const rates = await markTitles(page, '[data-testid=chart-distribution] .metric-chart:not([hidden])');
  assert.equal(rates.length, values('tokens_per_second'));
  assert.ok(rates.some((t) => t.startsWith('gemma3:270m: ') && t.includes('tok/s\nFrom reports/gemma3/gemma3_270m_baseline.json')));
  const axis = await page.locator('[data-testid=chart-distribution] .metric-chart:not([hidden]) svg text.axis-label').textContent();
  assert.equal(axis, 'Throughput per run, tok/s');
});

test('the num_gpu x num_ctx grids state each cell\'s means and files', async () => {
  const { page } = await openExample();
  const grids = page.locator('[data-testid=chart-grid] figure');
  assert.equal(await grids.count(), example.metrics.grids.length);
  const llama = grids.filter({ hasText: 'llama3.1:8b-instruct-q4_0' });
  const cell = llama.locator('g.cell').first();
  assert.deepEqual(await cell.locator('text').allTextContents(), ['77.92 tok/s', 'TTFT 1122 ms']);
  assert.equal(
    await cell.locator('title').textContent(),
    'llama3.1:8b-instruct-q4_0, num_gpu=40 num_ctx=1024: 77.92 tok/s, TTFT 1122 ms, 3 runs\nFrom csv_data/ollama_param_tuning.csv',
  );
  assert.equal(await llama.locator('g.cell').count(), 12);
});

test('the findings are listed with their reasons and the files they name', async () => {
  const { page } = await openExample();
  assert.equal(await page.locator('[data-testid=finding]').count(), example.findings.length);
  assert.equal(await text(page, 'findings').then((t) => t.split('\n')[0]), `Findings (${example.findings.length})`);
  const failed = await page.locator('[data-testid=finding][data-kind=failed_runs]').innerText();
  assert.match(failed, /86 runs failed \(81 with an error message, 5 with a failure message in its text\)/);
  assert.match(failed, /csv_data\/baseline_test_results_1759098967\.json/);
  assert.match(await page.locator('[data-testid=finding][data-kind=missing_folder]').innerText(), /no artifacts\/ folder/);
  assert.match(await page.locator('[data-testid=finding][data-kind=not_what_extension_says]').innerText(),
    /reports\/profiling\/ncu_summary\.csv/);
  // Long lists fold away but stay reachable.
  const mixed = page.locator('[data-testid=finding][data-kind=mixed_units]');
  await mixed.locator('summary').click();
  assert.match(await mixed.innerText(), /reports\/llama3\/ollama_quant_bench\.csv/);
});

test('the values read from each file are listed, with copies and summaries marked', async () => {
  const { page } = await openExample();
  assert.equal(await text(page, 'file-metrics-count'), '46 of 46 files with values');
  await page.fill('[data-testid=file-metrics-filter]', 'ollama_quant_bench');
  const rows = page.locator('[data-testid=file-metrics-row]');
  assert.equal(await rows.count(), 2);
  const original = await rows.nth(0).locator('td').allInnerTexts();
  assert.deepEqual(original.slice(0, 7), ['csv_data/ollama_quant_bench.csv', '15', '15', '0', '98.70', '1153', '62.78']);
  assert.match(await rows.nth(1).innerText(), /A copy of csv_data\/ollama_quant_bench\.csv, counted once\./);
  await page.fill('[data-testid=file-metrics-filter]', '20251002-151204');
  assert.match(await rows.first().innerText(), /Failed at line 2: an error message: Failed to connect to Ollama/);
});

test('a folder without numbers says so and still lists its findings', async () => {
  const dir = await fs.mkdtemp('/tmp/chimera-metrics-');
  await fs.mkdir(`${dir}/bench/reports`, { recursive: true });
  await fs.writeFile(`${dir}/bench/reports/notes.md`, '# Notes\n');
  await fs.writeFile(`${dir}/bench/reports/plan.csv`, 'step,owner\n1,me\n');
  const { page, errors } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=folder-input]', `${dir}/bench`);
  await page.waitForSelector('[data-testid=metrics][data-drawn]');
  assert.match(await text(page, 'no-metrics'), /No benchmark numbers were recognised/);
  assert.equal(await page.locator('[data-testid=metrics] svg.chart').count(), 0);
  assert.match(await page.locator('[data-testid=finding][data-kind=csv_without_metrics]').innerText(), /reports\/plan\.csv/);
  assert.deepEqual(errors, []);
  await fs.rm(dir, { recursive: true });
});

test('a folder with a handful of runs draws without errors', async () => {
  const { page, errors } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', fixture('messy-reports.zip'));
  await page.waitForSelector('[data-testid=metrics][data-drawn]');
  assert.equal(await text(page, 'metrics-runs'), '2');
  assert.deepEqual(errors, []);
});

test('the metrics fit a phone screen without scrolling the page sideways', async () => {
  const { page } = await openExample({ viewport: { width: 380, height: 800 } });
  await page.waitForSelector('[data-testid=chart-grid]');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
});

test('console logs, a semicolon sheet and a model named by its path are read in the page as by the CLI', async () => {
  const { page, errors } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', fixture('tool-outputs.zip'));
  await page.waitForSelector('[data-testid=metrics][data-drawn]');
  // Two runs of `ollama run --verbose` in a .log, two of a console .md, two
  // rows of the sheet, and the gemma3:1b JSON with the sweep its name names.
  assert.equal(await text(page, 'metrics-runs'), '9');
  assert.equal(await text(page, 'metrics-configurations'), '6');
  await page.fill('[data-testid=config-filter]', 'phi4');
  const labels = await page.locator('[data-testid=config-row] td:first-child').allInnerTexts();
  // Two machines' runs of one model are compared, not pooled.
  assert.deepEqual(labels.sort(), ['phi4:14b gpu=NVIDIA GeForce RTX 4070', 'phi4:14b num_ctx=4096 gpu=Apple M2 Max']);
  assert.match(await page.locator('[data-testid=finding][data-kind=model_from_path]').innerText(), /csv_data\/gemma3_1b_sweep\.csv as gemma3:1b/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
  const fromPage = await fs.readFile(await download.path(), 'utf8');
  assert.equal(fromPage, cliInventoryJson(fixture('tool-outputs.zip')));
  assert.deepEqual(errors, []);
});

test('a folder holding only summaries compares their figures and says so', async () => {
  const { page, errors } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', fixture('summaries-only.zip'));
  await page.waitForSelector('[data-testid=metrics][data-drawn]');
  assert.match(await text(page, 'metrics-grouping'), /^No file holds single runs/);
  // llama-bench's generation rates; its prompt-processing rates are not throughput.
  assert.match(await text(page, 'best-throughput'), /qwen2 7B Q4_K_M num_gpu=99 backend=CUDA scenario=tg128, 134\.8 tok\/s/);
  assert.equal(await page.locator('[data-testid=finding][data-kind=summaries_only]').count(), 1);
  assert.deepEqual(errors, []);
});
