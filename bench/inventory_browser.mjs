// Inventory timing and memory in headless Chromium, on the real page served
// by the real `chimera serve`.
//
//   node bench/inventory_browser.mjs --zip BIG.zip [--runs 5] [--example-runs 15] [--count-runs 5]
//
// The big zip is read twice over: `--runs` times as a user reads it (the
// numbers inside the files too), and `--count-runs` times with "Read the
// numbers inside the files" unticked (counts and content checks only: the
// work the Python baseline does, and the base that metric extraction adds to).
// Each run opens a fresh page, picks the zip through the page's own file
// input, and waits for the inventory. Three times are kept:
//   page_ms   what the page itself reports ("Read in N ms, in this page."):
//             from its load starting to the inventory being built;
//   shown_ms  from the input's change event to the inventory element being in
//             the DOM and painted (a requestAnimationFrame after it appears),
//             measured in the page with performance.now();
//   wall_ms   from the setInputFiles call to waitForSelector returning, in
//             this process (adds the DevTools protocol round trips).
// Also the main thread's busy time during the load (TaskDuration from
// Performance.getMetrics); the rest is the page waiting between slices.
// Memory, per run: the renderer process's peak RSS (VmHWM, reset through
// /proc/PID/clear_refs just before the upload) and its growth over the RSS
// before the upload; the size of the WebAssembly memory afterwards (it only
// grows, so this is its peak); and, in separate runs (--heap-runs), the
// largest JS heap seen by sampling Performance.getMetrics every 25 ms.
// Prints one JSON object on stdout.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '../tests/node_modules/playwright-core/index.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target');
const chimeraBin = process.env.CHIMERA_BIN ?? path.join(targetDir, 'release', 'chimera');
const exampleZip = path.join(repoRoot, 'assets/examples/chimeraforge-reports.zip');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const bigZip = args.zip;
const runs = Number(args.runs ?? 5);
const exampleRuns = Number(args['example-runs'] ?? 15);
const heapRuns = Number(args['heap-runs'] ?? 1);
const countRuns = Number(args['count-runs'] ?? runs);
if (!bigZip) {
  console.error('usage: node bench/inventory_browser.mjs --zip BIG.zip [--runs N] [--example-runs N]');
  process.exit(2);
}

// In the page, before any of its own scripts: note when a zip is picked and
// when the inventory appears and is painted.
const probe = () => {
  window.__bench = {};
  // The page reads zips in a Web Worker; its memory is separate from the
  // page's module. The worker says how large it grew when it is done.
  const PageWorker = window.Worker;
  window.Worker = class extends PageWorker {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (event.data?.kind === 'done') {
          window.__readerMemory = event.data.memory;
          window.__readerTimings = event.data.timings;
        }
      });
    }
  };
  // Every task that held the main thread for more than 50 ms, as Chromium
  // reports them: the page must never stop responding for more than 100.
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  document.addEventListener('change', (event) => {
    if (event.target?.matches?.('[data-testid=zip-input]')) {
      window.__bench = { picked: performance.now() };
    }
  }, true);
  new MutationObserver(() => {
    const b = window.__bench;
    if (b.picked !== undefined && b.shown === undefined && document.querySelector('[data-testid=inventory]')) {
      b.shown = performance.now();
      requestAnimationFrame(() => setTimeout(() => { b.painted = performance.now(); }, 0));
    }
  }).observe(document, { childList: true, subtree: true });
};

async function startCompanion() {
  const child = spawn(chimeraBin, ['serve', '--listen', '127.0.0.1:0', '--web-dir', path.join(repoRoot, 'dist')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CHIMERA_LOG: 'warn' },
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('chimera serve did not start in 20 s')), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error(`chimera serve exited with ${code}`)));
  });
  return { url, stop: async () => { child.kill('SIGINT'); await once(child, 'exit'); } };
}

// Chromium's processes, from /proc: the renderers below this process.
function descendants(root) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch { /* gone */ }
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    for (const child of children.get(pid) ?? []) { out.push(child); stack.push(child); }
  }
  return out;
}

function renderers(browserPid) {
  return descendants(browserPid).filter((pid) => {
    try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer'); } catch { return false; }
  });
}

function memoryKiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch { return null; }
}

function resetPeak(pid) {
  try { fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

async function inventoryOnce(browser, url, zip, { measureMemory = true, sampleHeap = false, readMetrics = true } = {}) {
  const context = await browser.newContext();
  await context.addInitScript(probe);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('[data-testid=drop-zone]');
  // As a user's page would be by the time they pick a file: the page reads
  // the bundled example once, unseen, right after it opens, so the browser
  // has compiled the module's reading code (see web/src/app.rs).
  await page.waitForSelector('html[data-warm]', { state: 'attached', timeout: 30_000 });

  // Main-thread busy time (Performance.getMetrics' TaskDuration) across the
  // load: what is left of the load's time is the page waiting between slices.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const metric = async (name) => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === name)?.value;
  };
  const busyBefore = await metric('TaskDuration');
  const windowStart = performance.now();

  let before = null;
  let heapMax = 0;
  let sampling = false;
  let sampler = null;
  if (measureMemory) {
    const pids = renderers(browser.__pid);
    before = new Map(pids.map((pid) => [pid, memoryKiB(pid)]));
    before.resetOk = pids.every(resetPeak);
  }
  if (sampleHeap) {
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        try { heapMax = Math.max(heapMax, await metric('JSHeapUsedSize')); } catch { /* closing */ }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
  }

  if (!readMetrics) await page.uncheck('[data-testid=read-metrics]');
  const t0 = performance.now();
  await page.setInputFiles('[data-testid=zip-input]', zip);
  await page.waitForSelector('[data-testid=inventory]', { timeout: 120_000 });
  const wallMs = performance.now() - t0;
  await page.waitForFunction(() => window.__bench?.painted !== undefined);
  const marks = await page.evaluate(() => window.__bench);
  // The tasks from the pick until the inventory and its deferred sections
  // (metrics, charts) are drawn: give those a moment to run.
  await page.waitForTimeout(1500);
  const longTasks = await page.evaluate((picked) => window.__longTasks
    .filter((t) => t.start >= picked).map((t) => t.ms), marks.picked);
  const elapsedText = await page.textContent('[data-testid=elapsed]');
  const pageMs = Number(elapsedText.match(/Read in ([\d.]+) ms/)?.[1]);

  const busyMs = ((await metric('TaskDuration')) - busyBefore) * 1000;
  const windowMs = performance.now() - windowStart;

  const result = {
    page_ms: pageMs,
    main_thread_busy_ms: busyMs,
    main_thread_window_ms: windowMs,
    shown_ms: marks.shown - marks.picked,
    painted_ms: marks.painted - marks.picked,
    wall_ms: wallMs,
    longest_task_ms: Math.max(0, ...longTasks),
    tasks_over_100ms: longTasks.filter((ms) => ms > 100).length,
    errors,
  };
  if (sampleHeap) {
    sampling = false;
    await sampler;
    result.js_heap_used_max_bytes = heapMax;
  }
  if (measureMemory) {
    // The WebAssembly memory: the bindings' init returns the live exports.
    result.wasm_memory_bytes = await page.evaluate(async () => {
      const bindings = await import('/chimera_web.js');
      const exports = await bindings.default();
      return exports.memory.buffer.byteLength;
    });
    result.reader_memory_bytes = await page.evaluate(() => window.__readerMemory);
  }
  // Where the reader's time went (reading the file, entries, cross-file
  // work, cutting the result into parts), as the worker measured it.
  const timings = await page.evaluate(() => window.__readerTimings);
  for (const [key, ms] of Object.entries(timings ?? {})) result[`reader_${key}`] = ms;
  if (measureMemory) {
    // The renderer whose peak grew most is the page's.
    let best = null;
    for (const [pid, prior] of before) {
      const now = memoryKiB(pid);
      if (!now || !prior) continue;
      const growth = now.hwm - prior.rss;
      if (!best || growth > best.growth) best = { pid, prior, now, growth };
    }
    if (best) {
      result.renderer = {
        rss_before_kib: best.prior.rss,
        peak_kib: best.now.hwm,
        peak_growth_kib: best.growth,
        rss_after_kib: best.now.rss,
        peak_was_reset: before.resetOk,
      };
    }
  }
  await context.close();
  return result;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function summarise(results) {
  const pick = (key) => results.map((r) => r[key]).filter((x) => typeof x === 'number' && !Number.isNaN(x));
  const out = {};
  for (const key of ['page_ms', 'main_thread_busy_ms', 'shown_ms', 'painted_ms', 'wall_ms', 'longest_task_ms', 'tasks_over_100ms', 'wasm_memory_bytes', 'reader_memory_bytes', 'reader_read_ms', 'reader_scan_ms', 'reader_finish_ms', 'reader_parts_ms', 'js_heap_used_max_bytes']) {
    const xs = pick(key);
    if (xs.length) out[key] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  }
  const peaks = results.map((r) => r.renderer?.peak_kib).filter(Boolean);
  const growths = results.map((r) => r.renderer?.peak_growth_kib).filter(Boolean);
  if (peaks.length) {
    out.renderer_peak_kib = { median: median(peaks), max: Math.max(...peaks) };
    out.renderer_peak_growth_kib = { median: median(growths), max: Math.max(...growths) };
  }
  return out;
}

const companion = await startCompanion();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  // playwright starts Chromium as a child of this process.
  browser.__pid = process.pid;
  const version = browser.version();
  // One warm-up load so the first measured run does not pay for compiling
  // the WebAssembly module into the cache.
  await inventoryOnce(browser, companion.url, exampleZip, { measureMemory: false });
  const big = [];
  for (let i = 0; i < runs; i++) {
    big.push(await inventoryOnce(browser, companion.url, bigZip));
    console.error(`big zip run ${i + 1}/${runs}: page ${big.at(-1).page_ms} ms, shown ${big.at(-1).shown_ms.toFixed(0)} ms`);
  }
  const countsOnly = [];
  for (let i = 0; i < countRuns; i++) {
    countsOnly.push(await inventoryOnce(browser, companion.url, bigZip, { readMetrics: false }));
    console.error(`big zip, counts only, run ${i + 1}/${countRuns}: page ${countsOnly.at(-1).page_ms} ms`);
  }
  // The JS heap is sampled in separate runs: the sampling itself takes
  // main-thread time, which the timed runs should not pay.
  const heap = [];
  for (let i = 0; i < heapRuns; i++) {
    heap.push(await inventoryOnce(browser, companion.url, bigZip, { sampleHeap: true }));
  }
  const example = [];
  for (let i = 0; i < exampleRuns; i++) {
    example.push(await inventoryOnce(browser, companion.url, exampleZip, { measureMemory: false }));
  }
  console.error(`example zip: median shown ${median(example.map((r) => r.shown_ms)).toFixed(1)} ms over ${exampleRuns} runs`);
  process.stdout.write(JSON.stringify({
    chromium: version,
    big_zip: { path: bigZip, bytes: fs.statSync(bigZip).size, runs: big, summary: summarise(big),
      heap_runs: heap, heap_summary: summarise(heap),
      counts_only_runs: countsOnly, counts_only_summary: summarise(countsOnly) },
    example_zip: { path: exampleZip, bytes: fs.statSync(exampleZip).size, runs: example, summary: summarise(example) },
  }, null, 2) + '\n');
} finally {
  await browser.close();
  await companion.stop();
}
