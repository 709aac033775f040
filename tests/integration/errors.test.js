// Request validation: malformed JSON, missing fields, unknown models and oversized bodies are
// refused by the gateway itself, in the caller's dialect, without reaching an upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { OPENAI_REPLY } from './doubles/openai_double.js';
import { useEnvironment } from './lib/harness.js';
import { anthropicHeaders, marker, openaiHeaders, rawRequest } from './lib/gatehouse.js';

const MAX_BODY = 65536;
const ctx = useEnvironment({ server: { max_body_bytes: MAX_BODY } });

const post = (path, headers, body) => rawRequest(`${ctx.url}${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body,
});
const postChat = (body) => post('/v1/chat/completions', openaiHeaders(ctx.key.key), body);
const postMessages = (body) => post('/v1/messages', anthropicHeaders(ctx.key.key), body);

function assertOpenAIError(r, status) {
  assert.equal(r.status, status, `status; body: ${r.text}`);
  assert.ok(r.json && typeof r.json.error === 'object', `OpenAI error body: ${r.text}`);
  assert.equal(typeof r.json.error.message, 'string');
  assert.equal(typeof r.json.error.type, 'string');
  assert.ok('param' in r.json.error && 'code' in r.json.error, `param and code present: ${r.text}`);
  assert.ok(r.headers['x-request-id'], 'errors carry x-request-id');
  return r.json.error;
}

function assertAnthropicError(r, status, type) {
  assert.equal(r.status, status, `status; body: ${r.text}`);
  assert.ok(r.json, `JSON body: ${r.text}`);
  assert.equal(r.json.type, 'error', `Anthropic error body: ${r.text}`);
  assert.equal(typeof r.json.error?.message, 'string');
  if (type) assert.equal(r.json.error.type, type, `error.type; body: ${r.text}`);
  assert.ok(r.headers['x-request-id'], 'errors carry x-request-id');
  return r.json.error;
}

function assertNothingUpstream(m) {
  const seen = ctx.openai.requestsContaining(m).length + ctx.anthropic.requestsContaining(m).length;
  assert.equal(seen, 0, 'a refused request must not reach an upstream');
}

test('malformed JSON -> 400 in the caller dialect', async () => {
  const m = marker('badjson');
  const broken = `{"model": "gpt-test", "messages": [{"role": "user", "content": "${m}"}`;
  const a = assertOpenAIError(await postChat(broken), 400);
  assert.equal(a.type, 'invalid_request_error');
  assertAnthropicError(await postMessages(broken), 400, 'invalid_request_error');
  assertOpenAIError(await postChat('[]'), 400);
  assertNothingUpstream(m);
});

test('missing messages -> 400 in the caller dialect', async () => {
  const m = marker('nomsgs');
  const a = assertOpenAIError(await postChat({ model: 'gpt-test', user: m }), 400);
  assert.equal(a.type, 'invalid_request_error');
  assertAnthropicError(await postMessages({ model: 'gpt-test', max_tokens: 10, metadata: { user_id: m } }), 400, 'invalid_request_error');
  assertNothingUpstream(m);
});

test('unknown model -> 404 model_not_found (OpenAI) / not_found_error (Anthropic); the SDK raises NotFoundError', async () => {
  const m = marker('nomodel');
  const a = assertOpenAIError(await postChat({ model: 'no-such-model', messages: [{ role: 'user', content: m }] }), 404);
  assert.equal(a.code, 'model_not_found');
  assertAnthropicError(await postMessages({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: m }] }), 404, 'not_found_error');
  // An upstream model name is not a caller model name.
  const b = assertOpenAIError(await postChat({ model: 'upstream-gpt', messages: [{ role: 'user', content: m }] }), 404);
  assert.equal(b.code, 'model_not_found');
  await assert.rejects(ctx.oa().chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: m }] }),
    (e) => e.status === 404 && e.code === 'model_not_found');
  await assert.rejects(ctx.oa().embeddings.create({ model: 'no-such-model', input: m }),
    (e) => e.status === 404 && e.code === 'model_not_found');
  assertNothingUpstream(m);
});

test('a body just under max_body_bytes is accepted', async () => {
  const m = marker('under');
  const body = { model: 'gpt-test', messages: [{ role: 'user', content: m }] };
  body.messages[0].content += ' ' + 'x'.repeat(MAX_BODY - JSON.stringify(body).length - 100);
  assert.ok(JSON.stringify(body).length < MAX_BODY);
  const r = await postChat(body);
  assert.equal(r.status, 200, r.text.slice(0, 500));
  assert.equal(r.json.choices[0].message.content, OPENAI_REPLY);
});

test('a body over max_body_bytes (Content-Length) -> 413, never forwarded', async () => {
  const m = marker('over');
  const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: `${m} ${'y'.repeat(MAX_BODY)}` }] });
  const r = await postChat(body);
  assert.equal(r.status, 413, r.text.slice(0, 500));
  assertOpenAIError(r, 413);
  const a = await postMessages(JSON.stringify({ model: 'gpt-test', max_tokens: 5, messages: [{ role: 'user', content: `${m} ${'y'.repeat(MAX_BODY)}` }] }));
  assertAnthropicError(a, 413, 'request_too_large'); // the documented Anthropic type for 413
  assertNothingUpstream(m);
});

test('a chunked body that grows over max_body_bytes -> 413, never forwarded', async () => {
  const m = marker('overchunked');
  const text = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: `${m} ${'z'.repeat(MAX_BODY + 4096)}` }] });
  const chunks = [];
  for (let i = 0; i < text.length; i += 8192) chunks.push(text.slice(i, i + 8192));
  const r = await rawRequest(`${ctx.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...openaiHeaders(ctx.key.key) }, chunks,
  });
  assert.equal(r.status, 413, r.text.slice(0, 500));
  assertNothingUpstream(m);
});

// An unguarded request to an upstream of its own dialect is sent on as the caller wrote it,
// with only the model replaced: numbers, spacing and key order survive.
test('a same-dialect request reaches the upstream byte for byte but for the model', async () => {
  const m = marker('verbatim');
  const body = `{ "messages" : [{"role":"user","content":"${m} \\u00e9"}],\n`
    + ` "temperature": 1.50, "model" :"gpt-test", "top_p":1e0 }`;
  const r = await postChat(body);
  assert.equal(r.status, 200, r.text);
  const [seen] = ctx.openai.requestsContaining(m);
  assert.ok(seen, 'the upstream got the request');
  assert.equal(seen.rawBody, body.replace('"gpt-test"', '"upstream-gpt"'));
});

// A model given twice is never passed on twice: upstreams differ on which duplicate wins, so
// the gateway sends one, the one it routed by.
test('a request naming its model twice reaches the upstream with one model', async () => {
  const m = marker('twice');
  const body = `{"model":"claude-test","messages":[{"role":"user","content":"${m}"}],"model":"gpt-test"}`;
  const r = await postChat(body);
  assert.equal(r.status, 200, r.text);
  const [seen] = ctx.openai.requestsContaining(m);
  assert.ok(seen, 'routed by the model the gateway read (the last), to the OpenAI upstream');
  assert.equal(seen.rawBody.split('"model"').length - 1, 1, seen.rawBody);
  assert.equal(seen.body.model, 'upstream-gpt');
});
