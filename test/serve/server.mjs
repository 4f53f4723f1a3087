// What the gemmac-serve HTTP tests share: starting the server on a free
// loopback port (argv: the gemmac-serve binary and the model), requests with
// time bounds, reading server-sent events and /metrics, and running a test
// with an overall deadline that always stops the servers it started.
import { spawn } from 'node:child_process';

export const [binary, model] = process.argv.slice(2);
const started = [];

/// Rejects when `promise` takes longer than `ms`.
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/// Starts gemmac-serve on 127.0.0.1 and a free port with one compute thread
/// (a busy 2-core machine: a spinning pool only slows the steps down).
export async function startServer(args = [], env = {}) {
  const child = spawn(binary, [model, '--host', '127.0.0.1', '--port', '0', '--threads', '1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  started.push({ child, log: () => stderr });
  child.stderr.on('data', (data) => { stderr += data; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await within(new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (data) => {
      stdout += data;
      const match = stdout.match(/listening on (http:\/\/[0-9.]+:[0-9]+)/);
      if (match) resolve(match[1]);
    });
    exited.then(({ code }) => reject(new Error(`gemmac-serve exited (${code}) before listening: ${stderr}`)));
  }), 30000, 'gemmac-serve start');
  return {
    url,
    child,
    exited,
    stderr: () => stderr,
    /// SIGTERM, then the exit status (bounded).
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return within(exited, 30000, 'gemmac-serve exit after SIGTERM');
    },
  };
}

/// POSTs JSON (or a raw string); the status and the parsed body.
export async function post(url, path, body, headers = {}) {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(60000),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON: left null, text kept */ }
  return { status: response.status, json, text };
}

/// The events of a text/event-stream body: parsed JSON objects, and '[DONE]'.
export function parseEvents(text) {
  const events = [];
  for (const block of text.split('\n\n')) {
    if (!block) continue;
    if (!block.startsWith('data: ')) throw new Error(`not a server-sent event: ${JSON.stringify(block)}`);
    const data = block.slice(6);
    events.push(data === '[DONE]' ? data : JSON.parse(data));
  }
  return events;
}

/// A metric's value from /metrics (`name` with its labels, e.g. 'x{code="200"}'); 0 when absent.
export async function metric(url, name) {
  const response = await fetch(url + '/metrics', { signal: AbortSignal.timeout(10000) });
  for (const line of (await response.text()).split('\n')) {
    if (line.startsWith(name + ' ')) return Number(line.slice(name.length + 1));
  }
  return 0;
}

/// Polls `check` every 50 ms until it returns true, for at most `ms`.
export async function eventually(check, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/// Runs the test within `ms`; on failure prints it and exits 1. Servers still
/// running at the end are killed.
export async function run(name, test, ms = 120000) {
  const begin = Date.now();
  let status = 0;
  try {
    await within(test(), ms, name);
    console.log(`${name}: passed in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  } catch (error) {
    console.error(`${name}: FAILED: ${error.stack || error}`);
    for (const { child, log } of started) console.error(`gemmac-serve (pid ${child.pid}) stderr:\n${log()}`);
    status = 1;
  }
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  process.exit(status);
}
