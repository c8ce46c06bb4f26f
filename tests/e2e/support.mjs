// Shared fixtures for the end-to-end tests: a real `chimera serve` on a free
// loopback port, and headless Chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const chimeraBin =
  process.env.CHIMERA_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target'), 'debug', 'chimera');
export const exampleZip = path.join(repoRoot, 'assets/examples/chimeraforge-reports.zip');
export const fixture = (name) => path.join(repoRoot, 'tests/fixtures', name);

/** Starts `chimera serve` on 127.0.0.1:0 and resolves with its URL once it listens. */
export async function startCompanion(extraArgs = []) {
  // Each companion keeps its history in a fresh folder, never the user's.
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'chimera-e2e-data-'));
  const child = spawn(chimeraBin, ['serve', '--listen', '127.0.0.1:0', '--web-dir', path.join(repoRoot, 'dist'), '--data-dir', dataDir, ...extraArgs], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CHIMERA_LOG: process.env.CHIMERA_LOG ?? 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`companion did not start in 20 s:\n${stderr}`)), 20_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const match = stdout.match(/serving on (http:\/\/\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`companion exited with ${code}:\n${stderr}`)); });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await once(child, 'exit');
      }
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the page and fails the test on any uncaught page error. */
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(new Error(m.text())); });
  await page.goto(url);
  await page.waitForSelector('[data-testid=drop-zone]');
  return { page, context, errors };
}

/** The CLI's JSON for a path, as a string; `extraArgs` such as `--no-metrics`. */
export function cliInventoryJson(file, extraArgs = []) {
  // A large folder's JSON runs to megabytes: more than the default buffer.
  return execFileSync(chimeraBin, ['inventory', '--json', ...extraArgs, file], { encoding: 'utf8', maxBuffer: 1 << 30 });
}

export const standinBin = path.join(process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target'), 'debug', 'ollama-standin');

/** Starts the Ollama stand-in, fed by the real model when the test setup serves one. */
export async function startStandin() {
  const args = process.env.CHIMERA_TEST_LLAMA_URL ? ['--upstream', process.env.CHIMERA_TEST_LLAMA_URL] : [];
  const child = spawn(standinBin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  const listeners = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const l of listeners) l(stdout);
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stand-in did not start')), 10_000);
    listeners.push((out) => {
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  return {
    url,
    disconnects: () => (stdout.match(/client disconnected/g) ?? []).length,
    async stop() { if (child.exitCode === null) { child.kill('SIGINT'); await once(child, 'exit'); } },
  };
}

export const hasRealModel = () => Boolean(process.env.CHIMERA_TEST_LLAMA_URL);
