// The official openai client (npm `openai`) against gemmac-serve: chat and
// completions, streamed and not; greedy streams spell the same text as the
// whole answers, usage adds up, stop strings and JSON schemas are kept, and
// an unknown model is the client's NotFoundError.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { run, startServer } from './server.mjs';

let OpenAI;
try {
  OpenAI = createRequire(process.env.GEMMAC_SERVE_NODE_MODULES + '/')('openai').default;
} catch {
  console.log('skipped: the npm openai client is not installed (scripts/setup.sh installs it)');
  process.exit(77);
}

function checkUsage(usage, maxTokens, finishReason) {
  assert.ok(usage.prompt_tokens > 1);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  assert.ok(usage.completion_tokens <= maxTokens);
  if (finishReason === 'length') assert.equal(usage.completion_tokens, maxTokens);
}

/// Streams a request; the text joined from the chunks, the finish reason and the usage chunk's usage.
async function streamed(create, request, chat) {
  const stream = await create({ ...request, stream: true, stream_options: { include_usage: true } });
  let text = '', finishReason = null, usage = null, chunks = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, chat ? 'chat.completion.chunk' : 'text_completion');
    if (chunk.usage) {
      assert.equal(chunk.choices.length, 0);
      usage = chunk.usage;
      continue;
    }
    const choice = chunk.choices[0];
    if (chat && chunks === 0) assert.equal(choice.delta.role, 'assistant');
    text += (chat ? choice.delta.content : choice.text) ?? '';
    if (choice.finish_reason) finishReason = choice.finish_reason;
    chunks += 1;
  }
  return { text, finishReason, usage };
}

await run('serve.openai_client', async () => {
  const server = await startServer();
  const client = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'not-checked', maxRetries: 0, timeout: 60000 });

  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ['tiny']);

  // Chat, whole and streamed.
  const chatRequest = { model: 'tiny', messages: [{ role: 'system', content: 'be brief' },
    { role: 'user', content: 'hi there' }], max_tokens: 12, temperature: 0 };
  const chat = await client.chat.completions.create(chatRequest);
  assert.equal(chat.object, 'chat.completion');
  assert.match(chat.id, /^chatcmpl-/);
  assert.equal(chat.model, 'tiny');
  const message = chat.choices[0].message;
  assert.equal(message.role, 'assistant');
  assert.ok(message.content.length > 0, 'empty content');
  assert.ok(['stop', 'length'].includes(chat.choices[0].finish_reason));
  checkUsage(chat.usage, 12, chat.choices[0].finish_reason);
  const chatStream = await streamed((r) => client.chat.completions.create(r), chatRequest, true);
  assert.equal(chatStream.text, message.content);
  assert.equal(chatStream.finishReason, chat.choices[0].finish_reason);
  assert.deepEqual(chatStream.usage, chat.usage);

  // Completions, whole and streamed.
  const completionRequest = { model: 'tiny', prompt: 'the cat is', max_tokens: 10, temperature: 0 };
  const completion = await client.completions.create(completionRequest);
  assert.equal(completion.object, 'text_completion');
  const text = completion.choices[0].text;
  assert.ok(text.length > 0, 'empty text');
  checkUsage(completion.usage, 10, completion.choices[0].finish_reason);
  const completionStream = await streamed((r) => client.completions.create(r), completionRequest, false);
  assert.equal(completionStream.text, text);
  assert.deepEqual(completionStream.usage, completion.usage);

  // A stop string: the text ends before its first occurrence.
  assert.ok(text.length >= 3, `text too short for a stop string: ${JSON.stringify(text)}`);
  const stop = text.slice(1, 3);
  const stopped = await client.completions.create({ ...completionRequest, stop: [stop] });
  assert.equal(stopped.choices[0].text, text.slice(0, text.indexOf(stop)));
  assert.equal(stopped.choices[0].finish_reason, 'stop');

  // response_format json_schema: the content is JSON of the schema.
  const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
  const json = await client.chat.completions.create({ ...chatRequest, max_tokens: 64,
    response_format: { type: 'json_schema', json_schema: { name: 'n', schema } } });
  assert.equal(json.choices[0].finish_reason, 'stop', `cut short: ${json.choices[0].message.content}`);
  assert.ok(Number.isInteger(JSON.parse(json.choices[0].message.content).n));

  // An unknown model: the client's own error class, with OpenAI's code.
  await assert.rejects(client.chat.completions.create({ ...chatRequest, model: 'gpt-4o' }),
    (error) => error.status === 404 && error.code === 'model_not_found');

  const { code } = await server.stop();
  assert.equal(code, 0);
});
