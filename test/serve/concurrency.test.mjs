// 32 concurrent clients x 3 requests each (chat and completions, streamed and
// not, greedy): every response complete and equal to the same request served
// alone, nothing lost; then a server with one slot and one queue place:
// exactly two requests are taken, the others get 429.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { eventually, metric, parseEvents, post, run, startServer } from './server.mjs';

const kClients = 32;
const kRequestsPerClient = 3;
const kPrompts = ['the cat', 'is it the', 'of a', 'hi there', 'a b c', 'the the of', 'is', 'at last'];

function request(client, index) {
  const prompt = kPrompts[(client + index) % kPrompts.length];
  const chat = (client + index) % 2 === 0;
  const body = { max_tokens: 12, temperature: 0 };
  if (chat) body.messages = [{ role: 'user', content: prompt }];
  else body.prompt = prompt;
  return { path: chat ? '/v1/chat/completions' : '/v1/completions', body, chat, key: `${chat}:${prompt}` };
}

/// The answer's text, finish reason and usage, from a whole or a streamed response.
async function serve(url, { path, body, chat }, stream) {
  const response = await post(url, path, { ...body, stream, stream_options: stream ? { include_usage: true } : undefined });
  assert.equal(response.status, 200, response.text);
  if (!stream) {
    const choice = response.json.choices[0];
    return { text: chat ? choice.message.content : choice.text, finish: choice.finish_reason, usage: response.json.usage };
  }
  const events = parseEvents(response.text);
  assert.equal(events.at(-1), '[DONE]', 'the stream did not end with [DONE]');
  let text = '', finish = null, usage = null;
  for (const event of events.slice(0, -1)) {
    if (event.usage) { usage = event.usage; continue; }
    const choice = event.choices[0];
    text += (chat ? choice.delta.content : choice.text) ?? '';
    finish = choice.finish_reason ?? finish;
  }
  return { text, finish, usage };
}

await run('serve.concurrency', async () => {
  const server = await startServer(['--max-batch', '8']);
  // The listen backlog (ss's Send-Q of a listening socket): cpp-httplib's own
  // 5 dropped the SYNs of a burst of new connections beyond it, each retried
  // a second or more later.
  const port = new URL(server.url).port;
  const listening = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim().split(/\s+/);
  assert.ok(Number(listening[2]) >= 128, `listen backlog: ${listening.join(' ')}`);
  // Each distinct request alone first.
  const alone = new Map();
  for (let client = 0; client < kPrompts.length * 2; ++client) {
    const r = request(client, 0);
    if (!alone.has(r.key)) alone.set(r.key, await serve(server.url, r, false));
  }
  const begin = Date.now();
  let served = 0;
  await Promise.all(Array.from({ length: kClients }, async (_, client) => {
    for (let index = 0; index < kRequestsPerClient; ++index) {
      const r = request(client, index);
      const answer = await serve(server.url, r, (client + index) % 3 === 0);
      assert.deepEqual(answer, alone.get(r.key), `${r.key} batched differs from alone`);
      served += 1;
    }
  }));
  assert.equal(served, kClients * kRequestsPerClient);
  console.log(`${served} requests from ${kClients} clients in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  // The steps ran several sequences at once.
  assert.ok(await metric(server.url, 'gemmac_serve_batch_size_count') > 0);
  const single = await metric(server.url, 'gemmac_serve_batch_size_bucket{le="1"}');
  assert.ok(single < await metric(server.url, 'gemmac_serve_batch_size_count'), 'no step ran two sequences');
  assert.equal((await server.stop()).code, 0);

  // One slot, one queue place: of 8 requests, 2 are taken and the other 6 get
  // 429 while those run. They are sent one after another, so that on a busy
  // machine too the taken ones are still running when the others come; the
  // taken ones get a long context (the tiny model writes thousands of tokens/s).
  const small = await startServer(['--max-batch', '1', '--max-queue', '1', '--ctx', '32768']);
  const controllers = [];
  const statuses = [];
  const taken = [];  // the 200s held: one dropped unread had its connection closed (a cancel) and a later request taken
  for (let i = 0; i < 8; ++i) {
    const controller = new AbortController();
    controllers.push(controller);
    const response = await fetch(small.url + '/v1/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'the cat', max_tokens: 32000, temperature: 0, ignore_eos: true, stream: true }),
      signal: controller.signal,
    });
    if (response.status === 429) {
      const body = await response.json();
      assert.equal(body.error.code, 'queue_full');
      assert.match(body.error.message, /busy/);
    }
    if (response.status === 200) taken.push(response);  // its stream is left running until aborted below
    statuses.push(response.status);
  }
  assert.deepEqual(statuses, [200, 200, 429, 429, 429, 429, 429, 429]);
  for (const controller of controllers) controller.abort();
  await eventually(async () => await metric(small.url, 'gemmac_serve_requests_total{outcome="cancelled"}') === 2,
    10000, 'both taken requests cancelled');
  assert.equal(await metric(small.url, 'gemmac_serve_http_responses_total{code="429"}'), 6);
  assert.equal((await small.stop()).code, 0);
});
