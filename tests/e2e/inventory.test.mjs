// The first thing a user does: drop a zipped reports folder on the page and
// read its inventory. Everything runs in real headless Chromium against the
// page served by the real companion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startCompanion, launchBrowser, openPage, exampleZip, fixture, cliInventoryJson } from './support.mjs';

let companion;
let browser;

before(async () => {
  companion = await startCompanion();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await companion?.stop();
});

const text = (page, id) => page.locator(`[data-testid=${id}]`).first().innerText();

test('uploading the example zip shows its counts and directory coverage', async () => {
  const { page, errors } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await page.waitForSelector('[data-testid=inventory]');

  assert.equal(await text(page, 'total-files'), '107');
  assert.equal(await text(page, 'total-bytes'), '590.6 KB');
  assert.equal(await page.locator('[data-testid=type-csv] [data-testid=count]').innerText(), '28');
  assert.equal(await page.locator('[data-testid=type-json] [data-testid=count]').innerText(), '44');
  assert.equal(await page.locator('[data-testid=type-md] [data-testid=count]').innerText(), '29');
  assert.equal(await page.locator('[data-testid=type-other] [data-testid=count]').innerText(), '6');
  assert.match(await page.locator('[data-testid=dir-reports] [data-testid=state]').innerText(), /present/);
  assert.equal(await page.locator('[data-testid=dir-reports] [data-testid=files]').innerText(), '89');
  assert.equal(await page.locator('[data-testid=dir-csv_data] [data-testid=files]').innerText(), '18');
  assert.match(await page.locator('[data-testid=dir-artifacts] [data-testid=state]').innerText(), /missing/);
  assert.equal(await text(page, 'latest-modified'), '2026-03-12 03:58:19 UTC');
  const problems = await text(page, 'problems');
  assert.match(problems, /reports\/profiling\/ncu_summary\.csv/);
  assert.match(problems, /UTF-16 little-endian/);
  assert.deepEqual(errors, []);
});

test('the downloaded JSON is byte for byte what the CLI prints', async () => {
  const { page } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await page.waitForSelector('[data-testid=inventory]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
  assert.equal(download.suggestedFilename(), 'chimeraforge-reports.inventory.json');
  const fromPage = await fs.readFile(await download.path(), 'utf8');
  assert.equal(fromPage, cliInventoryJson(exampleZip));
  assert.equal(JSON.parse(fromPage).files, 107);
});

test('with the numbers turned off the page counts only, as the CLI does with --no-metrics', async () => {
  const { page, errors } = await openPage(browser, companion.url);
  await page.uncheck('[data-testid=read-metrics]');
  await page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await page.waitForSelector('[data-testid=inventory]');
  assert.equal(await text(page, 'total-files'), '107');
  await page.waitForSelector('[data-testid=metrics-not-read]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
  const fromPage = await fs.readFile(await download.path(), 'utf8');
  assert.equal(fromPage, cliInventoryJson(exampleZip, ['--no-metrics']));
  const json = JSON.parse(fromPage);
  assert.equal(json.metrics.not_read, true);
  assert.deepEqual(json.metrics.files, []);
  // Ticked again, the next load reads them.
  await page.check('[data-testid=read-metrics]');
  await page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await page.waitForSelector('[data-testid=configurations]');
  assert.equal(await page.locator('[data-testid=metrics-not-read]').count(), 0);
  assert.deepEqual(errors, []);
});

test('the example button loads the bundled example', async () => {
  const { page, errors } = await openPage(browser, companion.url);
  await page.click('[data-testid=example]');
  await page.waitForSelector('[data-testid=inventory]');
  assert.equal(await text(page, 'total-files'), '107');
  assert.deepEqual(errors, []);
});

test('a messy zip keeps every good file and names each bad one', async () => {
  const { page } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', fixture('messy-reports.zip'));
  await page.waitForSelector('[data-testid=inventory]');
  assert.equal(await text(page, 'total-files'), '7');
  const problems = await text(page, 'problems');
  assert.match(problems, /invalid JSON at line 4, column 3: expected `,` or `}`/);
  assert.match(problems, /invalid CSV at line 3: 2 fields where the first row has 3/);
  assert.match(problems, /UTF-16 little-endian/);
  // Python's zipfile writes DOS times only: shown without a zone.
  assert.equal(await text(page, 'latest-modified'), '2025-10-08T12:27:00 (zone unknown)');
  assert.match(await text(page, 'junk'), /2 OS junk entries/);
  assert.match(await page.locator('[data-testid=dir-reports] [data-testid=files]').innerText(), /^4$/);
});

test('the file table filters and sorts', async () => {
  const { page } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await page.waitForSelector('[data-testid=file-table]');
  assert.match(await text(page, 'row-count'), /^107 of 107 files/);
  await page.fill('[data-testid=filter]', 'gemma3');
  const count = await text(page, 'row-count');
  const shown = Number(count.split(' ')[0]);
  assert.ok(shown > 0 && shown < 107, count);
  const paths = await page.locator('table.files tbody td.path').allInnerTexts();
  assert.ok(paths.every((p) => p.toLowerCase().includes('gemma3')), paths.join('\n'));
  await page.fill('[data-testid=filter]', '');
  await page.selectOption('[data-testid=status-filter]', 'error');
  assert.match(await text(page, 'row-count'), /^1 of 107 files/);
  await page.selectOption('[data-testid=status-filter]', '');
  await page.getByRole('button', { name: /^Size/ }).click();
  await page.getByRole('button', { name: /^Size/ }).click();
  const first = await page.locator('table.files tbody td.path').first().innerText();
  assert.match(first, /ncu_ollama(\.sqlite)?\.ncu-rep/);
});

test('a file that is not a zip gets a clear message', async () => {
  const { page } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', fixture('not-a-zip.zip'));
  const message = await text(page, 'load-error');
  assert.equal(message, 'not-a-zip.zip: not a zip archive: it looks like plain text');
});

test('a picked folder is inventoried like its zip', async () => {
  const dir = await fs.mkdtemp('/tmp/chimera-folder-');
  await fs.mkdir(`${dir}/bench/reports`, { recursive: true });
  await fs.mkdir(`${dir}/bench/csv_data`, { recursive: true });
  await fs.writeFile(`${dir}/bench/reports/a.md`, '# a\n');
  await fs.writeFile(`${dir}/bench/reports/b.json`, '{"x": 1}');
  await fs.writeFile(`${dir}/bench/csv_data/c.csv`, 'x,y\n1,2\n');
  const { page } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=folder-input]', `${dir}/bench`);
  await page.waitForSelector('[data-testid=inventory]');
  assert.equal(await text(page, 'total-files'), '3');
  assert.match(await page.locator('[data-testid=dir-csv_data] [data-testid=state]').innerText(), /present/);
  await fs.rm(dir, { recursive: true });
});

// A zip large enough that reading it takes the page a while: 3,000 sweep
// CSVs of 200 runs each.
const LARGE_ZIP = `
import random, sys, zipfile
random.seed(7)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(3000):
        rows = ["model,num_gpu,ttft_ms,tokens_per_second"]
        rows += [f"m{i % 5},{i % 40},{random.uniform(50, 900):.2f},{random.uniform(5, 90):.2f}" for _ in range(200)]
        z.writestr(f"reports/sweep_{i:04}/runs.csv", "\\n".join(rows) + "\\n")
`;

test('a large zip is read in the reader worker, with progress, and a newer pick replaces it', async () => {
  const large = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'chimera-large-')), 'large.zip');
  execFileSync('python3', ['-c', LARGE_ZIP, large]);
  const { page, errors } = await openPage(browser, companion.url);
  await page.setInputFiles('[data-testid=zip-input]', large);
  await page.waitForSelector('[data-testid=progress]');
  // The reading happens in a Web Worker started from the reader's script,
  // not on the page's own thread. The page may still be starting it.
  const readerRunning = () => page.workers().some((w) => w.url().endsWith('/reader.js'));
  for (let waited = 0; !readerRunning() && waited < 10_000; waited += 50) await page.waitForTimeout(50);
  assert.ok(readerRunning(), 'a reader worker is running');
  // Picked while the first is still being read: the example wins, and the
  // first load's result never replaces it.
  await page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await page.waitForSelector('[data-testid=inventory]');
  assert.equal(await text(page, 'total-files'), '107');
  await page.waitForTimeout(1500);
  assert.equal(await text(page, 'total-files'), '107');
  // Read to the end, the large zip gives what the CLI gives.
  await page.setInputFiles('[data-testid=zip-input]', large);
  await page.waitForFunction(() => document.querySelector('[data-testid=total-files]')?.innerText === '3000', null, { timeout: 60_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
  assert.equal(await fs.readFile(await download.path(), 'utf8'), cliInventoryJson(large));
  assert.deepEqual(errors, []);
  await fs.rm(path.dirname(large), { recursive: true });
});

// Thousands of entries, a quarter of them random bytes, with broken files
// and OS junk spread through the whole zip: without the numbers, each of
// two workers reads part of the entries.
const PARTS_ZIP = `
import random, sys, zipfile
random.seed(5)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(2400):
        kind = i % 8
        if kind == 0:
            z.writestr(f"artifacts/blob_{i:04}.bin", random.randbytes(16 * 1024), compress_type=zipfile.ZIP_STORED)
        elif kind == 1 and i % 80 == 1:
            z.writestr(f"reports/run_{i:04}/broken.json", '{"model": "m1",')
        elif kind == 2 and i % 80 == 2:
            z.writestr(f"__MACOSX/reports/._run_{i:04}.csv", b"\\0" * 40)
        elif kind == 3 and i % 80 == 3:
            z.writestr(f"csv_data/ragged_{i:04}.csv", "a,b\\n1,2\\n3\\n")
        elif kind == 4:
            z.writestr(f"reports/run_{i:04}/summary.json", '{"model": "m%d", "tokens_s": %.2f}' % (i % 3, random.uniform(5, 90)))
        else:
            z.writestr(f"reports/run_{i:04}/runs.csv", "model,ttft_ms\\n" + "".join(f"m{i % 3},{random.uniform(50, 900):.2f}\\n" for _ in range(30)))
`;

// Forty random blobs and two text files: over 4 MiB, under the 1,000
// entries worth cutting.
const FEW_ENTRIES_ZIP = `
import random, sys, zipfile
random.seed(3)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("reports/broken.json", '{"model": "m1",')
    z.writestr("csv_data/runs.csv", "model,ttft_ms\\nm1,120.5\\n")
    for i in range(40):
        z.writestr(f"artifacts/blob_{i:02}.bin", random.randbytes(128 * 1024), compress_type=zipfile.ZIP_STORED)
`;

test('without the numbers, a large zip is read in two parts by two workers and gives what the CLI gives', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'chimera-parts-'));
  const zip = path.join(dir, 'parts.zip');
  execFileSync('python3', ['-c', PARTS_ZIP, zip]);
  assert.ok((await fs.stat(zip)).size > 4 * 1024 * 1024);
  const expected = cliInventoryJson(zip, ['--no-metrics']);
  const { page, errors } = await openPage(browser, companion.url);
  await page.waitForSelector('html[data-warm]');
  const isReader = (worker) => worker.url().endsWith('/reader.js');
  const readers = new Set(page.workers().filter(isReader));
  page.on('worker', (worker) => { if (isReader(worker)) readers.add(worker); });
  await page.uncheck('[data-testid=read-metrics]');
  await page.setInputFiles('[data-testid=zip-input]', zip);
  const files = String(JSON.parse(expected).files);
  await page.waitForFunction((n) => document.querySelector('[data-testid=total-files]')?.innerText === n, files, { timeout: 60_000 });
  assert.ok(readers.size >= 2, `two reader workers ran (saw ${readers.size})`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
  assert.equal(await fs.readFile(await download.path(), 'utf8'), expected);
  const problems = JSON.parse(expected).problems.map((p) => p.kind);
  assert.ok(problems.includes('invalid_json') && problems.includes('invalid_csv'), problems.join());

  // As large, but with too few entries to cut: the first worker reads them all.
  const few = path.join(dir, 'few.zip');
  execFileSync('python3', ['-c', FEW_ENTRIES_ZIP, few]);
  assert.ok((await fs.stat(few)).size > 4 * 1024 * 1024);
  await page.setInputFiles('[data-testid=zip-input]', few);
  await page.waitForFunction(() => document.querySelector('[data-testid=total-files]')?.innerText === '42', null, { timeout: 60_000 });
  const [again] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
  assert.equal(await fs.readFile(await again.path(), 'utf8'), cliInventoryJson(few, ['--no-metrics']));
  assert.deepEqual(errors, []);
  await fs.rm(dir, { recursive: true });
});

test('the page is usable at phone width', async () => {
  const { page } = await openPage(browser, companion.url, { viewport: { width: 380, height: 800 } });
  await page.setInputFiles('[data-testid=zip-input]', exampleZip);
  await page.waitForSelector('[data-testid=inventory]');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
});
