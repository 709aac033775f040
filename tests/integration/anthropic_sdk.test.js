// The official Anthropic SDK calling gatehouse's /v1/messages. Models "gpt-*" are served by the
// OpenAI double (translation both ways); "claude-test" by the Anthropic double (pass-through).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ANTHROPIC_REPLY } from './doubles/anthropic_double.js';
import { OPENAI_REPLY, TOOL_ARGUMENTS } from './doubles/openai_double.js';
import { useEnvironment } from './lib/harness.js';
import { marker, splitKey } from './lib/gatehouse.js';

const ctx = useEnvironment();

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: {
    type: 'object',
    properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['location'],
  },
};

function upstreamRequestFor(double, m) {
  const seen = double.requestsContaining(m);
  assert.equal(seen.length, 1, `the ${double.name} double should see exactly one request carrying ${m}, saw ${seen.length}`);
  return seen[0];
}

/** Text of an OpenAI message content (string, or an array of text parts). */
function openaiText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  return '';
}

/**
 * Checks the documented stream shape: message_start first, message_stop last, message_delta
 * before message_stop, and every content_block_delta inside its block's start/stop pair.
 */
function assertEventOrder(events) {
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'message_start', `stream starts with message_start: ${types.join(',')}`);
  assert.equal(types.at(-1), 'message_stop', `stream ends with message_stop: ${types.join(',')}`);
  assert.equal(types.filter((t) => t === 'message_start').length, 1);
  assert.equal(types.filter((t) => t === 'message_stop').length, 1);
  const deltaAt = types.lastIndexOf('message_delta');
  assert.ok(deltaAt > 0 && deltaAt < types.length - 1, 'a message_delta precedes message_stop');
  const open = new Set();
  for (const [i, e] of events.entries()) {
    if (e.type === 'content_block_start') {
      assert.ok(!open.has(e.index), `block ${e.index} started twice`);
      open.add(e.index);
    } else if (e.type === 'content_block_delta') {
      assert.ok(open.has(e.index), `content_block_delta for block ${e.index} outside its start/stop (event ${i})`);
    } else if (e.type === 'content_block_stop') {
      assert.ok(open.has(e.index), `content_block_stop for block ${e.index} that is not open`);
      open.delete(e.index);
    } else if (e.type === 'message_delta' || e.type === 'message_stop') {
      assert.equal(open.size, 0, `${e.type} while blocks ${[...open]} are still open`);
    }
  }
}

test('messages (non-stream) -> OpenAI upstream: text, stop_reason, usage; system and max_tokens translated', async () => {
  const m = marker('msg');
  const { data: msg, response } = await ctx.an().messages
    .create({ model: 'gpt-test', max_tokens: 100, system: `You are terse ${m}`, messages: [{ role: 'user', content: `Say hi ${m}` }] })
    .withResponse();
  assert.equal(response.status, 200);
  assert.ok(response.headers.get('x-request-id'));
  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.ok(typeof msg.id === 'string' && msg.id.length > 0);
  assert.equal(msg.content.length, 1);
  assert.equal(msg.content[0].type, 'text');
  assert.equal(msg.content[0].text, OPENAI_REPLY);
  assert.equal(msg.stop_reason, 'end_turn');

  const upstream = upstreamRequestFor(ctx.openai, m);
  assert.equal(upstream.path, '/v1/chat/completions');
  assert.equal(upstream.headers.authorization, `Bearer ${ctx.openai.apiKey}`);
  assert.ok(!JSON.stringify(upstream.headers).includes(splitKey(ctx.key.key).secret), 'caller key not forwarded');
  assert.equal(upstream.body.model, 'upstream-gpt');
  const [sys, user, ...rest] = upstream.body.messages;
  assert.deepEqual(rest, []);
  assert.ok(sys.role === 'system' || sys.role === 'developer', `system prompt becomes a system message, got ${sys.role}`);
  assert.equal(openaiText(sys.content), `You are terse ${m}`);
  assert.equal(user.role, 'user');
  assert.equal(openaiText(user.content), `Say hi ${m}`);
  assert.equal(upstream.body.max_tokens ?? upstream.body.max_completion_tokens, 100);

  assert.equal(msg.usage.input_tokens, upstream.reportedUsage.input_tokens);
  assert.equal(msg.usage.output_tokens, upstream.reportedUsage.output_tokens);
});

test('messages (stream) -> OpenAI upstream: documented event sequence and a finalMessage with usage', async () => {
  const m = marker('msgstream');
  const stream = ctx.an().messages.stream({ model: 'gpt-test', max_tokens: 100, messages: [{ role: 'user', content: `Stream ${m}` }] });
  const events = [];
  for await (const event of stream) events.push(structuredClone(event)); // the SDK mutates message_start.message as it accumulates
  const final = await stream.finalMessage();

  assertEventOrder(events);
  const start = events[0];
  assert.equal(start.message.role, 'assistant');
  assert.deepEqual(start.message.content, []);
  const textDeltas = events.filter((e) => e.type === 'content_block_delta');
  assert.ok(textDeltas.length >= 2, 'text arrives incrementally');
  for (const d of textDeltas) assert.equal(d.delta.type, 'text_delta');
  assert.equal(textDeltas.map((d) => d.delta.text).join(''), OPENAI_REPLY);
  const blockStarts = events.filter((e) => e.type === 'content_block_start');
  assert.equal(blockStarts.length, 1);
  assert.equal(blockStarts[0].content_block.type, 'text');

  assert.equal(final.content.length, 1);
  assert.equal(final.content[0].text, OPENAI_REPLY);
  assert.equal(final.stop_reason, 'end_turn');
  const upstream = upstreamRequestFor(ctx.openai, m);
  assert.equal(upstream.body.stream, true);
  assert.equal(final.usage.output_tokens, upstream.reportedUsage.output_tokens, 'finalMessage output_tokens');
  assert.equal(final.usage.input_tokens, upstream.reportedUsage.input_tokens,
    'finalMessage input_tokens (message_start or the cumulative message_delta usage)');
});

test('messages with tools (non-stream) -> OpenAI upstream: tools translated, tool_use block back', async () => {
  const m = marker('msgtool');
  const msg = await ctx.an().messages.create({
    model: 'gpt-tools', max_tokens: 100, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: `Weather in Paris? ${m}` }],
  });
  assert.equal(msg.stop_reason, 'tool_use');
  const toolUses = msg.content.filter((b) => b.type === 'tool_use');
  assert.equal(toolUses.length, 1);
  assert.equal(toolUses[0].name, 'get_weather');
  assert.ok(typeof toolUses[0].id === 'string' && toolUses[0].id.length > 0);
  assert.deepEqual(toolUses[0].input, TOOL_ARGUMENTS);

  const upstream = upstreamRequestFor(ctx.openai, m);
  assert.equal(upstream.body.tools?.length, 1, `one tool upstream: ${JSON.stringify(upstream.body.tools)}`);
  const [tool] = upstream.body.tools;
  assert.equal(tool.type, 'function');
  assert.equal(tool.function.name, WEATHER_TOOL.name);
  assert.equal(tool.function.description, WEATHER_TOOL.description);
  assert.deepEqual(tool.function.parameters, WEATHER_TOOL.input_schema);
});

test('messages with tools (stream) -> OpenAI upstream: tool_use block start, input_json_delta, finalMessage input', async () => {
  const m = marker('msgtoolstream');
  const stream = ctx.an().messages.stream({
    model: 'gpt-tools', max_tokens: 100, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: `Weather? ${m}` }],
  });
  const events = [];
  for await (const event of stream) events.push(structuredClone(event)); // the SDK mutates message_start.message as it accumulates
  const final = await stream.finalMessage();

  assertEventOrder(events);
  const toolStart = events.find((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use');
  assert.ok(toolStart, 'a tool_use content_block_start');
  assert.equal(toolStart.content_block.name, 'get_weather');
  assert.ok(toolStart.content_block.id);
  const jsonDeltas = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta');
  assert.ok(jsonDeltas.length >= 1);
  for (const d of jsonDeltas) assert.equal(d.index, toolStart.index);
  assert.deepEqual(JSON.parse(jsonDeltas.map((d) => d.delta.partial_json).join('')), TOOL_ARGUMENTS);

  const toolUse = final.content.find((b) => b.type === 'tool_use');
  assert.ok(toolUse, `finalMessage has a tool_use block: ${JSON.stringify(final.content)}`);
  assert.equal(toolUse.name, 'get_weather');
  assert.deepEqual(toolUse.input, TOOL_ARGUMENTS);
  assert.equal(final.stop_reason, 'tool_use');
});

test('a tool_result turn -> OpenAI upstream becomes assistant tool_calls + a tool message with the same id', async () => {
  const m = marker('msgtoolresult');
  const msg = await ctx.an().messages.create({
    model: 'gpt-test', max_tokens: 100, tools: [WEATHER_TOOL],
    messages: [
      { role: 'user', content: `Weather in Paris? ${m}` },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_abc123', name: 'get_weather', input: { location: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_abc123', content: '18C and sunny' }] },
    ],
  });
  assert.equal(msg.content[0].text, OPENAI_REPLY);
  const sent = upstreamRequestFor(ctx.openai, m).body.messages;
  const assistant = sent.find((x) => x.role === 'assistant');
  assert.ok(assistant, `an assistant message upstream: ${JSON.stringify(sent)}`);
  assert.equal(assistant.tool_calls.length, 1);
  assert.equal(assistant.tool_calls[0].id, 'toolu_abc123');
  assert.equal(assistant.tool_calls[0].type, 'function');
  assert.equal(assistant.tool_calls[0].function.name, 'get_weather');
  assert.deepEqual(JSON.parse(assistant.tool_calls[0].function.arguments), { location: 'Paris' });
  const tool = sent.find((x) => x.role === 'tool');
  assert.ok(tool, `a tool message upstream: ${JSON.stringify(sent)}`);
  assert.equal(tool.tool_call_id, 'toolu_abc123');
  assert.equal(openaiText(tool.content), '18C and sunny');
});

test('messages -> Anthropic upstream (same dialect): request and stream pass through', async () => {
  const m = marker('passthrough');
  const params = { model: 'claude-test', max_tokens: 77, system: 'Be kind.', messages: [{ role: 'user', content: `Hi ${m}` }] };
  const msg = await ctx.an().messages.create(params);
  assert.equal(msg.content[0].text, ANTHROPIC_REPLY);
  assert.equal(msg.stop_reason, 'end_turn');
  const upstream = upstreamRequestFor(ctx.anthropic, m);
  assert.equal(upstream.path, '/v1/messages');
  assert.equal(upstream.headers['x-api-key'], ctx.anthropic.apiKey);
  assert.ok(upstream.headers['anthropic-version']);
  assert.equal(upstream.body.model, 'upstream-claude');
  assert.equal(upstream.body.max_tokens, 77);
  assert.equal(upstream.body.system, 'Be kind.');
  assert.deepEqual(upstream.body.messages, params.messages);
  assert.equal(msg.usage.input_tokens, upstream.reportedUsage.input_tokens);
  assert.equal(msg.usage.output_tokens, upstream.reportedUsage.output_tokens);

  const m2 = marker('passthroughstream');
  const stream = ctx.an().messages.stream({ ...params, messages: [{ role: 'user', content: `Hi ${m2}` }] });
  const events = [];
  for await (const event of stream) events.push(structuredClone(event)); // the SDK mutates message_start.message as it accumulates
  const final = await stream.finalMessage();
  assertEventOrder(events);
  assert.equal(final.content[0].text, ANTHROPIC_REPLY);
  const upstream2 = upstreamRequestFor(ctx.anthropic, m2);
  assert.equal(final.usage.input_tokens, upstream2.reportedUsage.input_tokens);
  assert.equal(final.usage.output_tokens, upstream2.reportedUsage.output_tokens);
});

test('messages (stream) are relayed as the upstream produces them, not buffered to the end', async () => {
  const started = Date.now();
  const stream = ctx.an().messages.stream({ model: 'gpt-slow', max_tokens: 100, messages: [{ role: 'user', content: `Slow ${marker('slow')}` }] });
  const arrivals = [];
  for await (const event of stream) {
    if (event.type === 'content_block_delta') arrivals.push(Date.now() - started);
  }
  assert.equal(arrivals.length, 10, 'ten text deltas');
  assert.ok(arrivals[0] < 700, `first delta after ${arrivals[0]} ms; the upstream sent it after ~100 ms (arrivals: ${arrivals.join(',')})`);
  assert.ok(arrivals.at(-1) - arrivals[0] >= 500, `deltas arrived within ${arrivals.at(-1) - arrivals[0]} ms of each other; upstream spread them over ~900 ms`);
});
