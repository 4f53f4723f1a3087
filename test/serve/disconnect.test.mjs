// A client that goes away cancels its request: a stream closed after its
// first chunk, a whole answer abandoned while it generates, and a request
// abandoned while it waits in the queue each free their place (seen in
// /metrics), and with one slot a follow-up request is served.
import assert from 'node:assert/strict';
import { eventually, metric, post, run, startServer } from './server.mjs';

const long = { prompt: 'the cat', max_tokens: 3000, temperature: 0, ignore_eos: true };

function start(url, body, controller) {
  return fetch(url + '/v1/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
}

await run('serve.disconnect', async () => {
  const server = await startServer(['--max-batch', '1']);
  const { url } = server;
  const cancelled = () => metric(url, 'gemmac_serve_requests_total{outcome="cancelled"}');
  const active = () => metric(url, 'gemmac_serve_active_slots');
  const queued = () => metric(url, 'gemmac_serve_queue_depth');

  // A stream closed after its first chunk.
  const streamed = new AbortController();
  const response = await start(url, { ...long, stream: true }, streamed);
  await response.body.getReader().read();
  streamed.abort();
  await eventually(async () => await cancelled() === 1 && await active() === 0, 5000, 'stream cancelled, slot free');
  const followUp = await post(url, '/v1/completions', { prompt: 'is it', max_tokens: 4, temperature: 0 });
  assert.equal(followUp.status, 200, followUp.text);

  // A whole answer abandoned while it generates.
  const whole = new AbortController();
  const abandoned = start(url, long, whole).catch(() => null);
  await eventually(async () => await active() === 1, 5000, 'the request in its slot');
  whole.abort();
  await abandoned;
  await eventually(async () => await cancelled() === 2 && await active() === 0, 5000, 'answer cancelled, slot free');

  // A request abandoned in the queue, behind one in the slot.
  const running = new AbortController(), waiting = new AbortController();
  const first = start(url, { ...long, stream: true }, running);
  await eventually(async () => await active() === 1, 5000, 'the first in its slot');
  const second = start(url, long, waiting).catch(() => null);
  await eventually(async () => await queued() === 1, 5000, 'the second queued');
  waiting.abort();
  await second;
  await eventually(async () => await cancelled() === 3 && await queued() === 0, 5000, 'queued request dropped');
  assert.equal(await active(), 1, 'the first still runs');
  running.abort();
  await first.catch(() => null);
  await eventually(async () => await cancelled() === 4 && await active() === 0, 5000, 'first cancelled');

  assert.equal((await server.stop()).code, 0);
});
