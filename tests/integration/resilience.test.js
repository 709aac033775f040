// Routing under failure: fallbacks, rate limits, upstream errors and hangs, and callers that
// disconnect mid-stream.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { OPENAI_RATE_LIMIT_HEADERS, OPENAI_REPLY } from './doubles/openai_double.js';
import { useEnvironment } from './lib/harness.js';
import { anthropicHeaders, marker, openaiHeaders, rawRequest, sleep, waitForUsage } from './lib/gatehouse.js';

const modelsSeen = (double, m) => double.requestsContaining(m).map((r) => r.body.model);

function assertOpenAIErrorBody(r) {
  assert.ok(r.json && typeof r.json.error === 'object', `OpenAI error body: ${r.text}`);
  assert.equal(typeof r.json.error.message, 'string');
  assert.equal(typeof r.json.error.type, 'string');
}

function assertAnthropicErrorBody(r) {
  assert.ok(r.json && r.json.type === 'error', `Anthropic error body: ${r.text}`);
  assert.equal(typeof r.json.error?.type, 'string');
  assert.equal(typeof r.json.error?.message, 'string');
}

describe('routing with max_attempts = 2', () => {
  const ctx = useEnvironment({
    routing: { max_attempts: 2, retry_backoff_ms: 50 },
    models: {
      'fallback-test': [{ provider: 'oa', model: 'fail-500', weight: 10 }, { provider: 'oa', model: 'upstream-gpt', weight: 1 }],
      'fallback-cross': [{ provider: 'an', model: 'fail-500', weight: 10 }, { provider: 'oa', model: 'upstream-gpt', weight: 1 }],
      'limited-test': [{ provider: 'oa', model: 'rate-limited-a', weight: 2 }, { provider: 'oa', model: 'rate-limited-b', weight: 1 }],
      'all-fail': [{ provider: 'oa', model: 'fail-500' }],
      'bad-request': [{ provider: 'oa', model: 'fail-400' }],
      'bad-request-claude': [{ provider: 'an', model: 'fail-400' }],
      'slow-test': [{ provider: 'oa', model: 'slow-stream' }],
      'slow-start-test': [{ provider: 'oa', model: 'slow-start' }],
      'broken-stream': [{ provider: 'oa', model: 'break-stream' }],
    },
  });

  test('fallback: the first deployment answers 500 (retried max_attempts times), the second succeeds', async () => {
    const m = marker('fallback');
    const { data, response } = await ctx.oa().chat.completions
      .create({ model: 'fallback-test', messages: [{ role: 'user', content: `Hi ${m}` }] })
      .withResponse();
    assert.equal(response.status, 200);
    assert.equal(data.choices[0].message.content, OPENAI_REPLY);
    assert.deepEqual(modelsSeen(ctx.openai, m), ['fail-500', 'fail-500', 'upstream-gpt'],
      'higher weight first, max_attempts attempts on it, then the next deployment');
  });

  test('fallback across providers: Anthropic deployment fails with 500, the OpenAI one answers', async () => {
    const m = marker('fallbackx');
    const r = await ctx.oa().chat.completions.create({ model: 'fallback-cross', max_tokens: 20, messages: [{ role: 'user', content: `Hi ${m}` }] });
    assert.equal(r.choices[0].message.content, OPENAI_REPLY);
    assert.deepEqual(modelsSeen(ctx.anthropic, m), ['fail-500', 'fail-500']);
    assert.deepEqual(modelsSeen(ctx.openai, m), ['upstream-gpt']);
  });

  test('every deployment rate limited: 429 reaches the caller with retry-after and x-ratelimit-* headers', async () => {
    const m = marker('limited');
    let caught;
    try {
      await ctx.oa().chat.completions.create({ model: 'limited-test', messages: [{ role: 'user', content: `Hi ${m}` }] });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught, 'the call must fail');
    assert.equal(caught.status, 429, `got ${caught.status}: ${caught.message}`);
    assert.equal(caught.constructor.name, 'RateLimitError');
    for (const [name, value] of Object.entries(OPENAI_RATE_LIMIT_HEADERS)) {
      assert.equal(caught.headers.get(name), value, `header ${name} passed through`);
    }
    assert.equal(typeof caught.error?.message, 'string', 'an OpenAI error body');
    assert.deepEqual(modelsSeen(ctx.openai, m), ['rate-limited-a', 'rate-limited-a', 'rate-limited-b', 'rate-limited-b']);

    const a = await rawRequest(`${ctx.url}/v1/messages`, {
      method: 'POST', headers: anthropicHeaders(ctx.key.key),
      body: { model: 'limited-test', max_tokens: 10, messages: [{ role: 'user', content: `Hi ${marker('limited')}` }] },
    });
    assert.equal(a.status, 429, a.text);
    assertAnthropicErrorBody(a);
    assert.equal(a.json.error.type, 'rate_limit_error');
    assert.equal(a.headers['retry-after'], '1');
  });

  test('every deployment failing with 500: a 5xx error in the caller dialect', async () => {
    const m = marker('allfail');
    const r = await rawRequest(`${ctx.url}/v1/chat/completions`, {
      method: 'POST', headers: openaiHeaders(ctx.key.key), body: { model: 'all-fail', messages: [{ role: 'user', content: m }] },
    });
    assert.ok(r.status >= 500 && r.status <= 503, `status ${r.status}: ${r.text}`);
    assertOpenAIErrorBody(r);
    assert.ok(r.headers['x-request-id']);
    assert.deepEqual(modelsSeen(ctx.openai, m), ['fail-500', 'fail-500']);
    const a = await rawRequest(`${ctx.url}/v1/messages`, {
      method: 'POST', headers: anthropicHeaders(ctx.key.key),
      body: { model: 'all-fail', max_tokens: 5, messages: [{ role: 'user', content: marker('allfail') }] },
    });
    assert.ok(a.status >= 500 && a.status <= 503, `status ${a.status}: ${a.text}`);
    assertAnthropicErrorBody(a);
  });

  test('an upstream 400 is not retried and reaches the caller in its own dialect', async () => {
    const m = marker('bad');
    const r = await rawRequest(`${ctx.url}/v1/chat/completions`, {
      method: 'POST', headers: openaiHeaders(ctx.key.key), body: { model: 'bad-request', messages: [{ role: 'user', content: m }] },
    });
    assert.equal(r.status, 400, r.text);
    assertOpenAIErrorBody(r);
    assert.match(r.json.error.message, /double: fail-400/, 'the upstream message is relayed');
    assert.deepEqual(modelsSeen(ctx.openai, m), ['fail-400'], 'a 400 is not retried');

    const m2 = marker('bad');
    const a = await rawRequest(`${ctx.url}/v1/messages`, {
      method: 'POST', headers: anthropicHeaders(ctx.key.key),
      body: { model: 'bad-request', max_tokens: 5, messages: [{ role: 'user', content: m2 }] },
    });
    assert.equal(a.status, 400, a.text);
    assertAnthropicErrorBody(a);
    assert.equal(a.json.error.type, 'invalid_request_error');
    assert.match(a.json.error.message, /double: fail-400/);
    assert.deepEqual(modelsSeen(ctx.openai, m2), ['fail-400']);

    const m3 = marker('bad');
    await assert.rejects(
      ctx.oa().chat.completions.create({ model: 'bad-request-claude', max_tokens: 5, messages: [{ role: 'user', content: m3 }] }),
      (e) => e.status === 400 && /double: fail-400/.test(e.message) && e.type === 'invalid_request_error',
      'an Anthropic 400 reaches an OpenAI caller as an OpenAI BadRequestError');
    assert.deepEqual(modelsSeen(ctx.anthropic, m3), ['fail-400']);
  });

  test('an upstream stream that dies midway ends in an error the caller\'s SDK raises, not a clean end', async () => {
    const stream = await ctx.oa().chat.completions.create({
      model: 'broken-stream', stream: true, messages: [{ role: 'user', content: marker('broken') }],
    });
    let text = '';
    await assert.rejects((async () => {
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    })(), (e) => e instanceof Error, 'the OpenAI SDK must see an error, not a normal end of stream');
    assert.equal(text, 'Hello from', 'the chunks before the failure were relayed');

    const events = [];
    const an = ctx.an().messages.stream({ model: 'broken-stream', max_tokens: 20, messages: [{ role: 'user', content: marker('broken') }] });
    await assert.rejects((async () => {
      for await (const e of an) events.push(e.type);
    })(), (e) => e instanceof Error, 'the Anthropic SDK must see an error event, not a normal end of stream');
    assert.equal(events[0], 'message_start');
    assert.ok(!events.includes('message_stop'), `no message_stop after a failure: ${events.join(',')}`);
  });

  // The gateway sends a stream's header together with its first events when they arrived with
  // the upstream's header, but never holds it back while it waits on the upstream.
  test('a stream whose first event is slow: the caller gets the 200 header before it', async () => {
    const started = Date.now();
    const { data: stream, response } = await ctx.oa().chat.completions
      .create({ model: 'slow-start-test', stream: true, messages: [{ role: 'user', content: marker('slowstart') }] })
      .withResponse();
    const headerAfter = Date.now() - started;
    assert.equal(response.status, 200);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    const eventsAfter = Date.now() - started;
    assert.equal(text, OPENAI_REPLY);
    assert.ok(headerAfter < 600, `the header arrived after ${headerAfter} ms, with the first event`);
    assert.ok(eventsAfter >= 750, `the stream ended after ${eventsAfter} ms, before the double's delay`);
  });

  test('caller disconnects mid-stream: the upstream socket is closed early and usage is still recorded', async () => {
    const m = marker('abort');
    const { data: stream, response } = await ctx.oa().chat.completions
      .create({ model: 'slow-test', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `Go ${m}` }] })
      .withResponse();
    const requestId = response.headers.get('x-request-id');
    assert.ok(requestId);
    let contentChunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) contentChunks += 1;
      if (contentChunks >= 2) break; // leaving the loop aborts the SDK's request
    }
    stream.controller.abort();
    const abortedAt = Date.now();

    const [upstream] = ctx.openai.requestsContaining(m);
    assert.ok(upstream, 'the stream reached the double');
    const deadline = Date.now() + 4000;
    while (upstream.closedAt === undefined && Date.now() < deadline) await sleep(50);
    assert.equal(upstream.streamCompleted, false, 'the upstream stream must not run to its end');
    assert.equal(upstream.closedByPeer, true, 'the gateway closed the upstream connection');
    const lag = upstream.closedAt - abortedAt;
    assert.ok(lag < 2000, `upstream closed ${lag} ms after the caller left (stream would run ~10 s)`);
    assert.ok(upstream.chunksSent < 60, `the double sent ${upstream.chunksSent} of ~103 chunks`);

    const records = await waitForUsage(ctx.dataDir, [requestId], { timeoutMs: 5000 });
    const rec = records.find((r) => r.request_id === requestId);
    assert.equal(rec.model, 'slow-test');
    assert.equal(rec.stream, true);
    assert.equal(rec.key_id, ctx.key.id);
  });
});

describe('upstream that never answers (max_attempts = 1, timeout_ms = 1000)', () => {
  const TIMEOUT = 1000;
  const ctx = useEnvironment({
    routing: { max_attempts: 1, retry_backoff_ms: 50 },
    models: {
      'hang-test': [{ provider: 'oa', model: 'hang', timeout_ms: TIMEOUT }],
      'hang-claude': [{ provider: 'an', model: 'hang', timeout_ms: TIMEOUT }],
    },
  });

  async function timed(path, headers, body) {
    const started = Date.now();
    const r = await rawRequest(`${ctx.url}${path}`, { method: 'POST', headers, body, timeoutMs: 10000 });
    return { r, elapsed: Date.now() - started };
  }

  async function assertUpstreamAbandoned(double, m) {
    const [upstream] = double.requestsContaining(m);
    assert.ok(upstream, 'the request reached the double');
    const deadline = Date.now() + 2000;
    while (upstream.closedAt === undefined && Date.now() < deadline) await sleep(50);
    assert.equal(upstream.closedByPeer, true, 'the gateway closes the hung upstream connection after its timeout');
  }

  test('OpenAI caller: 504 within the timeout plus a small margin, OpenAI error body', async () => {
    const m = marker('hang');
    const { r, elapsed } = await timed('/v1/chat/completions', openaiHeaders(ctx.key.key),
      { model: 'hang-test', messages: [{ role: 'user', content: m }] });
    assert.equal(r.status, 504, r.text);
    assertOpenAIErrorBody(r);
    assert.ok(elapsed >= TIMEOUT - 50, `answered after ${elapsed} ms, before the ${TIMEOUT} ms timeout`);
    assert.ok(elapsed <= TIMEOUT + 1000, `answered after ${elapsed} ms (timeout ${TIMEOUT} ms)`);
    await assertUpstreamAbandoned(ctx.openai, m);
  });

  test('OpenAI streaming caller: 504 before any SSE byte', async () => {
    const m = marker('hangstream');
    const { r, elapsed } = await timed('/v1/chat/completions', openaiHeaders(ctx.key.key),
      { model: 'hang-test', stream: true, messages: [{ role: 'user', content: m }] });
    assert.equal(r.status, 504, r.text);
    assertOpenAIErrorBody(r);
    assert.ok(elapsed <= TIMEOUT + 1000, `answered after ${elapsed} ms`);
  });

  test('Anthropic caller: 504 within the timeout plus a small margin, Anthropic error body', async () => {
    const m = marker('hangan');
    const { r, elapsed } = await timed('/v1/messages', anthropicHeaders(ctx.key.key),
      { model: 'hang-claude', max_tokens: 10, messages: [{ role: 'user', content: m }] });
    assert.equal(r.status, 504, r.text);
    assertAnthropicErrorBody(r);
    assert.equal(r.json.error.type, 'timeout_error', 'the documented Anthropic type for 504');
    assert.ok(elapsed >= TIMEOUT - 50 && elapsed <= TIMEOUT + 1000, `answered after ${elapsed} ms`);
    await assertUpstreamAbandoned(ctx.anthropic, m);
  });
});
