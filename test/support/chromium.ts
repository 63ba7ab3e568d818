import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'undici';

/** The Chromium the machine has (Debian's package, or CHROMIUM_PATH); the README's Testing section says how to get it. */
export function chromiumPath(): string {
  const path = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`No Chromium at ${path}: apt-get install chromium, or set CHROMIUM_PATH`);
  return path;
}

/** What a page showed: its visible text once it held what was awaited, and a PNG screenshot of it then. */
export interface PageView {
  readonly text: string;
  readonly screenshot: Buffer;
}

interface CdpAnswer {
  readonly id?: number;
  readonly result?: { readonly result?: { readonly value?: unknown }; readonly data?: string };
}

/** A page open in headless Chromium, driven over the DevTools protocol. */
export interface ChromiumPage {
  /** Runs a script in the page and answers its value. */
  evaluate(expression: string): Promise<unknown>;
  /** Waits until the page's visible text contains `text`, then answers that text; rejects after `timeoutMs`. */
  waitForText(text: string, timeoutMs?: number): Promise<string>;
  screenshot(): Promise<Buffer>;
}

/**
 * Opens `url` in headless Chromium and waits until its visible text contains `waitFor` (or `timeoutMs` passes), then
 * takes a screenshot. Driven over the DevTools protocol because single-page apps such as the Temporal Web UI render
 * after the load event, which Chromium's --dump-dom does not wait for.
 */
export async function viewInChromium(url: string, waitFor: string, timeoutMs = 30_000): Promise<PageView> {
  return inChromium(url, async (page) => {
    const text = await page.waitForText(waitFor, timeoutMs).catch(async () => String(await page.evaluate(VISIBLE_TEXT)));
    return { text, screenshot: await page.screenshot() };
  });
}

const VISIBLE_TEXT = 'document.body ? document.body.innerText : ""';

/** Opens `url` in a headless Chromium of its own (a fresh profile), runs `use` on the page, and closes it. */
export async function inChromium<T>(url: string, use: (page: ChromiumPage) => Promise<T>): Promise<T> {
  const profile = await mkdtemp(join(tmpdir(), 'webhooks-chromium-'));
  const chrome = spawn(
    chromiumPath(),
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--window-size=1400,1800',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    // A group of its own, so that its renderer and GPU processes end with it.
    { stdio: 'ignore', detached: true },
  );
  try {
    const port = await devToolsPort(profile);
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const target = targets.find((candidate) => candidate.type === 'page');
    if (!target) throw new Error('Chromium opened no page');
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve);
      socket.addEventListener('error', reject);
    });
    try {
      const send = devToolsSender(socket);
      const evaluate = async (expression: string): Promise<unknown> =>
        (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })).result?.result?.value;
      const page: ChromiumPage = {
        evaluate,
        async waitForText(text, timeoutMs = 30_000) {
          for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
            const value = await evaluate(VISIBLE_TEXT);
            if (typeof value === 'string' && value.includes(text)) return value;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          throw new Error(`the page never showed "${text}" within ${timeoutMs} ms`);
        },
        async screenshot() {
          const shot = await send('Page.captureScreenshot', { format: 'png' });
          return Buffer.from(shot.result?.data ?? '', 'base64');
        },
      };
      await send('Page.navigate', { url });
      return await use(page);
    } finally {
      socket.close();
    }
  } finally {
    if (chrome.exitCode === null && chrome.signalCode === null && chrome.pid !== undefined) {
      const exited = new Promise((resolve) => chrome.once('exit', resolve));
      process.kill(-chrome.pid, 'SIGKILL');
      await exited;
    }
    // Helper processes may still be letting go of the profile for a moment; its removal is housekeeping only.
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }).catch(() => undefined);
  }
}

// Chromium writes the port it chose into the profile once it listens.
async function devToolsPort(profile: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const text = await readFile(join(profile, 'DevToolsActivePort'), 'utf8').catch(() => '');
    const port = text.split('\n')[0];
    if (port) return port;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('Chromium did not open its DevTools port');
}

function devToolsSender(socket: WebSocket) {
  let lastId = 0;
  const pending = new Map<number, (answer: CdpAnswer) => void>();
  socket.addEventListener('message', (event) => {
    const answer = JSON.parse(String(event.data)) as CdpAnswer;
    if (answer.id !== undefined) pending.get(answer.id)?.(answer);
    if (answer.id !== undefined) pending.delete(answer.id);
  });
  return (method: string, params: object): Promise<CdpAnswer> =>
    new Promise((resolve) => {
      const id = ++lastId;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
}
