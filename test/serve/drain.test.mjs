// SIGTERM drains: /health and new requests answer 503 at once, the streaming
// request in flight runs to its end ([DONE], every token), then the process
// exits 0.
import assert from 'node:assert/strict';
import { eventually, parseEvents, post, run, startServer } from './server.mjs';

const kTokens = 1500;  // long enough to be in flight when SIGTERM lands

await run('serve.drain', async () => {
  const server = await startServer();
  const response = await fetch(server.url + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi there' }], max_tokens: kTokens, temperature: 0,
      ignore_eos: true, stream: true, stream_options: { include_usage: true } }),
    signal: AbortSignal.timeout(60000),
  });
  assert.equal(response.status, 200);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value, { stream: true });

  server.child.kill('SIGTERM');
  await eventually(async () => (await fetch(server.url + '/health')).status === 503, 5000, '/health 503 while draining');
  const refused = await post(server.url, '/v1/completions', { prompt: 'the cat', max_tokens: 2 });
  assert.equal(refused.status, 503, refused.text);
  assert.equal(refused.json.error.code, 'draining');

  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const events = parseEvents(text);
  assert.equal(events.at(-1), '[DONE]');
  const usage = events.at(-2).usage;
  assert.equal(usage.completion_tokens, kTokens);
  assert.equal(events.at(-3).choices[0].finish_reason, 'length');
  const { code } = await server.stop();
  assert.equal(code, 0);
});
