// The official OpenAI SDK against gatehouse in front of the OpenAI double (same dialect on both
// sides): chat, streaming, tool calls, embeddings, the models list, and what reaches upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { OPENAI_REPLY, TOOL_ARGUMENTS } from './doubles/openai_double.js';
import { STANDARD_MODELS, useEnvironment } from './lib/harness.js';
import { marker, splitKey } from './lib/gatehouse.js';

const ctx = useEnvironment();

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['location'],
    },
  },
};

/** The single request the OpenAI double received for this test's marker. */
function upstreamRequestFor(m) {
  const seen = ctx.openai.requestsContaining(m);
  assert.equal(seen.length, 1, `the OpenAI double should see exactly one request carrying ${m}, saw ${seen.length}`);
  return seen[0];
}

/** Upstream credentials are the provider's, and nothing of the caller's gatehouse key leaks upstream. */
function assertUpstreamAuth(record) {
  assert.equal(record.headers.authorization, `Bearer ${ctx.openai.apiKey}`);
  const { secret } = splitKey(ctx.key.key);
  const headerText = JSON.stringify(record.headers);
  assert.ok(!headerText.includes(secret), 'the caller key secret must not be forwarded upstream');
  assert.ok(!headerText.includes('gtk_'), 'no gatehouse key may be forwarded upstream');
}

test('chat completion (non-stream): answer, usage and x-request-id reach the caller; the request reaches upstream', async () => {
  const m = marker('chat');
  const messages = [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content: `Say hello ${m}` },
  ];
  const { data, response } = await ctx.oa().chat.completions
    .create({ model: 'gpt-test', messages, temperature: 0.25, max_tokens: 64 })
    .withResponse();

  assert.equal(response.status, 200);
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.choices.length, 1);
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].message.content, OPENAI_REPLY);
  assert.equal(data.choices[0].finish_reason, 'stop');

  const upstream = upstreamRequestFor(m);
  assert.equal(upstream.method, 'POST');
  assert.equal(upstream.path, '/v1/chat/completions');
  assert.equal(upstream.body.model, 'upstream-gpt', 'the caller model name is replaced by the deployment model');
  assert.deepEqual(upstream.body.messages, messages);
  assert.equal(upstream.body.temperature, 0.25);
  assert.equal(upstream.body.max_tokens, 64);
  assert.notEqual(upstream.body.stream, true);
  assertUpstreamAuth(upstream);

  assert.equal(data.usage.prompt_tokens, upstream.reportedUsage.input_tokens);
  assert.equal(data.usage.completion_tokens, upstream.reportedUsage.output_tokens);

  const requestId = response.headers.get('x-request-id');
  assert.ok(requestId && requestId.length > 0, 'responses carry x-request-id');
  const second = await ctx.oa().chat.completions
    .create({ model: 'gpt-test', messages: [{ role: 'user', content: marker('again') }] })
    .withResponse();
  assert.notEqual(second.response.headers.get('x-request-id'), requestId, 'x-request-id is unique per request');
});

test('chat completion (stream, include_usage): every delta, finish_reason, one usage chunk, clean end', async () => {
  const m = marker('stream');
  const { data: stream, response } = await ctx.oa().chat.completions
    .create({ model: 'gpt-test', messages: [{ role: 'user', content: `Stream please ${m}` }], stream: true, stream_options: { include_usage: true } })
    .withResponse();
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.ok(response.headers.get('x-request-id'), 'streamed responses carry x-request-id');

  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);

  assert.ok(chunks.length >= 3, `expected several chunks, got ${chunks.length}`);
  for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
  const text = chunks.flatMap((c) => c.choices).map((ch) => ch.delta?.content ?? '').join('');
  assert.equal(text, OPENAI_REPLY);
  const finishes = chunks.flatMap((c) => c.choices).map((ch) => ch.finish_reason).filter(Boolean);
  assert.deepEqual(finishes, ['stop']);

  const usageChunks = chunks.filter((c) => c.usage);
  assert.equal(usageChunks.length, 1, 'exactly one chunk carries usage');
  const last = chunks.at(-1);
  assert.equal(last, usageChunks[0], 'the usage chunk is the last one');
  assert.deepEqual(last.choices, [], 'the usage chunk has choices: []');

  const upstream = upstreamRequestFor(m);
  assert.equal(upstream.body.stream, true);
  assert.equal(upstream.streamCompleted, true);
  assert.equal(last.usage.prompt_tokens, upstream.reportedUsage.input_tokens);
  assert.equal(last.usage.completion_tokens, upstream.reportedUsage.output_tokens);
});

test('chat completion (stream without include_usage): no usage-only chunk reaches a caller that did not ask', async () => {
  const m = marker('nousage');
  const stream = await ctx.oa().chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content: `No usage ${m}` }], stream: true,
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.flatMap((c) => c.choices).map((ch) => ch.delta?.content ?? '').join('');
  assert.equal(text, OPENAI_REPLY);
  const empty = chunks.filter((c) => c.choices.length === 0);
  assert.equal(empty.length, 0, `chunks with choices: [] break callers that read choices[0]: ${JSON.stringify(empty)}`);
  assert.equal(chunks.filter((c) => c.usage).length, 0, 'no chunk carries usage');
});

test('streams are relayed as the upstream produces them, not buffered to the end', async () => {
  const started = Date.now();
  const stream = await ctx.oa().chat.completions.create({
    model: 'gpt-slow', stream: true, messages: [{ role: 'user', content: `Slow ${marker('slow')}` }],
  });
  const arrivals = [];
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) arrivals.push(Date.now() - started);
  }
  assert.equal(arrivals.length, 10, 'ten content chunks');
  assert.ok(arrivals[0] < 700, `first chunk after ${arrivals[0]} ms; the upstream sent it after ~100 ms (arrivals: ${arrivals.join(',')})`);
  assert.ok(arrivals.at(-1) - arrivals[0] >= 500, `chunks arrived within ${arrivals.at(-1) - arrivals[0]} ms of each other; upstream spread them over ~900 ms`);
});

test('tool call (non-stream): tool_calls with parsed-equal arguments and finish_reason tool_calls', async () => {
  const m = marker('tool');
  const r = await ctx.oa().chat.completions.create({
    model: 'gpt-tools', messages: [{ role: 'user', content: `Weather in Paris? ${m}` }], tools: [WEATHER_TOOL], tool_choice: 'auto',
  });
  const choice = r.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.tool_calls.length, 1);
  const call = choice.message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.ok(call.id, 'tool call has an id');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), TOOL_ARGUMENTS);

  const upstream = upstreamRequestFor(m);
  assert.deepEqual(upstream.body.tools, [WEATHER_TOOL]);
  assert.equal(upstream.body.tool_choice, 'auto');
});

test('tool call (stream): index/id/name first, then argument fragments that concatenate to the arguments', async () => {
  const m = marker('toolstream');
  const stream = await ctx.oa().chat.completions.create({
    model: 'gpt-tools', messages: [{ role: 'user', content: `Weather? ${m}` }], tools: [WEATHER_TOOL], stream: true,
  });
  const calls = new Map();
  const finishes = [];
  let fragmentsSeen = 0;
  for await (const chunk of stream) {
    for (const ch of chunk.choices) {
      if (ch.finish_reason) finishes.push(ch.finish_reason);
      for (const tc of ch.delta?.tool_calls ?? []) {
        if (!calls.has(tc.index)) {
          assert.ok(tc.id, 'the first delta of a tool call carries its id');
          assert.ok(tc.function?.name, 'the first delta of a tool call carries the function name');
          calls.set(tc.index, { id: tc.id, name: tc.function.name, args: '' });
        }
        if (tc.function?.arguments) {
          calls.get(tc.index).args += tc.function.arguments;
          fragmentsSeen += 1;
        }
      }
    }
  }
  assert.deepEqual([...calls.keys()], [0]);
  const call = calls.get(0);
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.args), TOOL_ARGUMENTS);
  assert.ok(fragmentsSeen >= 2, 'arguments arrive as streamed fragments');
  assert.deepEqual(finishes, ['tool_calls']);
});

test('a tool result turn (assistant tool_calls + tool message) is forwarded intact', async () => {
  const m = marker('toolresult');
  const messages = [
    { role: 'user', content: `Weather in Paris? ${m}` },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_abc123', content: '18C and sunny' },
  ];
  const r = await ctx.oa().chat.completions.create({ model: 'gpt-test', messages, tools: [WEATHER_TOOL] });
  assert.equal(r.choices[0].message.content, OPENAI_REPLY);
  assert.deepEqual(upstreamRequestFor(m).body.messages, messages);
});

test('embeddings: vectors and usage come back; float and the SDK default (base64) agree', async () => {
  const m = marker('embed');
  const inputs = [`first text ${m}`, 'second text here'];
  const asFloat = await ctx.oa().embeddings.create({ model: 'embed-test', input: inputs, encoding_format: 'float' });
  assert.equal(asFloat.object, 'list');
  assert.equal(asFloat.data.length, 2);
  asFloat.data.forEach((d, i) => {
    assert.equal(d.object, 'embedding');
    assert.equal(d.index, i);
    assert.deepEqual(d.embedding, Array.from({ length: 8 }, (_, j) => (i + 1) * 0.125 + j * 0.0625));
  });
  const [floatUpstream] = ctx.openai.requestsContaining(m).filter((r) => r.body.encoding_format === 'float');
  assert.ok(floatUpstream, 'the float request reached the double');
  assert.equal(floatUpstream.path, '/v1/embeddings');
  assert.equal(floatUpstream.body.model, 'upstream-embed');
  assert.deepEqual(floatUpstream.body.input, inputs);
  assert.equal(asFloat.usage.prompt_tokens, floatUpstream.reportedUsage.input_tokens);
  assert.equal(asFloat.usage.total_tokens, floatUpstream.reportedUsage.input_tokens);

  const asDefault = await ctx.oa().embeddings.create({ model: 'embed-test', input: inputs });
  assert.deepEqual(asDefault.data.map((d) => d.embedding), asFloat.data.map((d) => d.embedding),
    'the SDK asks for base64 by default and decodes it; the vectors must match');
  const defaultUpstream = ctx.openai.requestsContaining(m).filter((r) => r.body.encoding_format !== 'float');
  assert.equal(defaultUpstream.length, 1);
  assert.equal(defaultUpstream[0].body.encoding_format, 'base64');
});

test('models list: exactly the configured model names, no upstream names', async () => {
  const ids = [];
  for await (const model of ctx.oa().models.list()) {
    assert.equal(model.object, 'model');
    ids.push(model.id);
  }
  assert.deepEqual(ids.sort(), Object.keys(STANDARD_MODELS).sort());
});

test('concurrent requests: 24 at once (streams and not) each get their own complete answer', async () => {
  const client = ctx.oa();
  const jobs = Array.from({ length: 24 }, async (_, i) => {
    const m = marker(`conc${i}`);
    const messages = [{ role: 'user', content: `Request ${i} ${m}${' w'.repeat(i)}` }]; // distinct token counts
    if (i % 2 === 0) {
      const r = await client.chat.completions.create({ model: 'gpt-test', messages });
      return { m, text: r.choices[0].message.content, prompt: r.usage.prompt_tokens };
    }
    const stream = await client.chat.completions.create({ model: 'gpt-test', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let prompt;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) prompt = c.usage.prompt_tokens;
    }
    return { m, text, prompt };
  });
  for (const { m, text, prompt } of await Promise.all(jobs)) {
    assert.equal(text, OPENAI_REPLY);
    const upstream = upstreamRequestFor(m);
    assert.equal(prompt, upstream.reportedUsage.input_tokens, 'each answer carries its own request\'s usage');
  }
});
