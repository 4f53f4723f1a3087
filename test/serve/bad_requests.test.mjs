// Bad requests get OpenAI-style 4xx errors with a message, and the server
// keeps serving: a missing or wrong key (the key from $GEMMAC_API_KEY, then
// from --api-key), malformed JSON, wrong types and values, bodies over the
// limit (with a length and chunked), an unknown model or path, a prompt over
// the context. Bad command lines exit 2 naming the problem.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { binary, model, post, run, startServer } from './server.mjs';

const kKey = 'test-key-1234';
const auth = { authorization: `Bearer ${kKey}` };

function expectError(response, status, pattern, param) {
  assert.equal(response.status, status, response.text);
  const error = response.json?.error;
  assert.ok(error, `no OpenAI error object: ${response.text}`);
  assert.match(error.message, pattern);
  assert.equal(typeof error.type, 'string');
  if (param !== undefined) assert.equal(error.param, param);
}

async function good(url) {
  const response = await post(url, '/v1/completions', { prompt: 'the cat', max_tokens: 3, temperature: 0 }, auth);
  assert.equal(response.status, 200, response.text);
  assert.equal(typeof response.json.choices[0].text, 'string');
  assert.ok(response.json.usage.completion_tokens <= 3);
}

/// Runs gemmac-serve with `args`; its exit status and stderr.
function commandLine(args) {
  const result = spawnSync(binary, args, { encoding: 'utf8', timeout: 30000 });
  return { status: result.status, stderr: result.stderr };
}

await run('serve.bad_requests', async () => {
  for (const [args, pattern] of [
    [[model, '--max-batch', '0'], /--max-batch: expected an integer in \[1, 1024\], got "0"/],
    [[model, '--max-batch', '4', '--step-tokens', '2'], /--step-tokens 2 is below --max-batch 4/],
    [[model, '--port', '70000'], /--port: expected an integer/],
    [[model, '--timeout'], /--timeout needs a value/],
    [[model, '--bogus'], /unknown option --bogus/],
    [['--port', '0'], /no model file/],
    [['bench', model, '--streams', '1,,4'], /--streams: expected an integer/],
  ]) {
    const { status, stderr } = commandLine(args);
    assert.equal(status, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, pattern);
  }
  const missing = commandLine(['/nonexistent/model.gmf', '--port', '0']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /load \/nonexistent\/model.gmf: /);

  const server = await startServer(['--ctx', '64'], { GEMMAC_API_KEY: kKey });
  const { url } = server;
  const chat = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 };

  expectError(await post(url, '/v1/chat/completions', chat), 401, /no API key/);
  expectError(await post(url, '/v1/chat/completions', chat, { authorization: 'Bearer nope' }), 401, /incorrect API key/);
  const models = await fetch(url + '/v1/models', { signal: AbortSignal.timeout(10000) });
  assert.equal(models.status, 401);
  assert.equal((await fetch(url + '/health', { signal: AbortSignal.timeout(10000) })).status, 200);  // no key needed
  await good(url);

  expectError(await post(url, '/v1/chat/completions', '{"messages": [', auth), 400, /malformed JSON/);
  expectError(await post(url, '/v1/chat/completions', '"just a string"', auth), 400, /JSON object/);
  expectError(await post(url, '/v1/chat/completions', { ...chat, max_tokens: '3' }, auth), 400, /^max_tokens: /, 'max_tokens');
  expectError(await post(url, '/v1/chat/completions', { ...chat, temperature: -1 }, auth), 400, /^temperature: /, 'temperature');
  expectError(await post(url, '/v1/chat/completions', { messages: [{ role: 'user', content: 5 }] }, auth), 400,
    /^messages\[0\]\.content: /, 'messages[0].content');
  expectError(await post(url, '/v1/chat/completions', { ...chat, n: 3 }, auth), 400, /^n: /, 'n');
  expectError(await post(url, '/v1/completions', { prompt: ['a', 'b'] }, auth), 400, /^prompt: /, 'prompt');
  const unknownModel = await post(url, '/v1/chat/completions', { ...chat, model: 'gpt-4o' }, auth);
  expectError(unknownModel, 404, /gpt-4o/, 'model');
  assert.equal(unknownModel.json.error.code, 'model_not_found');
  expectError(await post(url, '/v1/nothing', chat, auth), 404, /unknown path/);
  expectError(await post(url, '/v1/completions', { prompt: 'the cat '.repeat(40), max_tokens: 2 }, auth), 400,
    /the prompt has \d+ tokens .* the context holds 64/, 'prompt');
  await good(url);

  // Over --max-body (1 MiB): with a Content-Length, and chunked (no length: read until the limit).
  const huge = JSON.stringify({ prompt: 'x'.repeat(2 << 20) });
  expectError(await post(url, '/v1/completions', huge, auth), 413, /too large|over --max-body/);
  const chunks = (function* () { for (let i = 0; i < 40; ++i) yield new TextEncoder().encode('x'.repeat(64 << 10)); })();
  const chunked = await fetch(url + '/v1/completions', {
    method: 'POST', headers: { 'content-type': 'application/json', ...auth }, duplex: 'half',
    body: new ReadableStream({ pull(controller) { const next = chunks.next(); if (next.done) controller.close(); else controller.enqueue(next.value); } }),
    signal: AbortSignal.timeout(30000),
  }).then(async (response) => ({ status: response.status, text: await response.text() }))
    .then((response) => ({ ...response, json: JSON.parse(response.text) }));
  expectError(chunked, 413, /over --max-body/);
  await good(url);
  assert.equal((await server.stop()).code, 0);

  // --api-key on the command line, over the environment's.
  const flagged = await startServer(['--api-key', 'other-key'], { GEMMAC_API_KEY: kKey });
  expectError(await post(flagged.url, '/v1/completions', { prompt: 'a' }, auth), 401, /incorrect API key/);
  const served = await post(flagged.url, '/v1/completions', { prompt: 'a', max_tokens: 2 }, { authorization: 'Bearer other-key' });
  assert.equal(served.status, 200, served.text);
  assert.equal((await flagged.stop()).code, 0);
});
