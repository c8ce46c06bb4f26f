// Where the page's inventory time goes: a V8 CPU profile of one load in
// headless Chromium, summed by function (self time), top 25.
//
//   node bench/profile_page.mjs ZIP [--counts-only]
//
// Also, for the three longest main-thread tasks of the load (a
// PerformanceObserver for long tasks), the functions sampled inside each.
// A diagnostic beside the benchmark, not part of it: profiling slows the
// load down. WebAssembly functions show under their names when the module
// keeps its name section, else as wasm-function[N].

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '../tests/node_modules/playwright-core/index.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const chimeraBin = process.env.CHIMERA_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target'), 'release', 'chimera');
const zip = process.argv[2];
if (!zip) {
  console.error('usage: node bench/profile_page.mjs ZIP');
  process.exit(2);
}

const companion = spawn(chimeraBin, ['serve', '--listen', '127.0.0.1:0', '--web-dir', path.join(repoRoot, 'dist')], {
  stdio: ['ignore', 'pipe', 'ignore'],
});
const url = await new Promise((resolve) => {
  let out = '';
  companion.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/serving on (http:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(url);
  await page.waitForSelector('[data-testid=drop-zone]');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  if (process.argv.includes('--counts-only')) await page.uncheck('[data-testid=read-metrics]');
  await page.waitForSelector('html[data-warm]', { state: 'attached', timeout: 30_000 });
  // The page's clock when profiling starts, to place samples in it (within
  // a millisecond or two: the round trip).
  const profiledFrom = await page.evaluate(() => performance.now());
  await cdp.send('Profiler.start');
  await page.setInputFiles('[data-testid=zip-input]', zip);
  await page.waitForSelector('[data-testid=inventory]', { timeout: 120_000 });
  // The metrics section is drawn in tasks after the inventory appears.
  await page.waitForTimeout(1500);
  const { profile } = await cdp.send('Profiler.stop');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id).callFrame;
    const name = frame.functionName || `(anonymous ${frame.url.split('/').pop()}:${frame.lineNumber})`;
    self.set(name, (self.get(name) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  // Sample times in the page's clock.
  const longTasks = (await page.evaluate(() => window.__longTasks)).sort((a, b) => b.ms - a.ms).slice(0, 3);
  let at = profile.startTime;
  const stamps = profile.samples.map((id, i) => {
    at += deltas[i] ?? 0;
    return { id, t: profiledFrom + (at - profile.startTime) / 1000 };
  });
  for (const task of longTasks) {
    const inside = new Map();
    for (const { id, t } of stamps) {
      if (t < task.start || t > task.start + task.ms) continue;
      const frame = byId.get(id).callFrame;
      const name = frame.functionName || `(anonymous ${frame.url.split('/').pop()}:${frame.lineNumber})`;
      inside.set(name, (inside.get(name) ?? 0) + 1);
    }
    const top = [...inside.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)
      .map(([name, n]) => `${n} ${name.slice(0, 70)}`).join('; ');
    console.log(`long task ${task.ms.toFixed(0)} ms at ${task.start.toFixed(0)}: ${top}`);
  }
  console.log(`${await page.textContent('[data-testid=elapsed]')}  profiled ${total.toFixed(0)} ms`);
  for (const [name, ms] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${ms.toFixed(1).padStart(8)} ms  ${(100 * ms / total).toFixed(1).padStart(5)}%  ${name.slice(0, 110)}`);
  }
} finally {
  await browser.close();
  companion.kill('SIGINT');
  await once(companion, 'exit');
}
