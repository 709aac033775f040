// The official OpenAI SDK calling gatehouse for models served by the Anthropic double: the
// gateway translates Chat Completions to Messages and the answers (and streams) back.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ANTHROPIC_REPLY, ANTHROPIC_TOOL_INPUT, ANTHROPIC_TOOL_PREAMBLE } from './doubles/anthropic_double.js';
import { useEnvironment } from './lib/harness.js';
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

function upstreamRequestFor(m) {
  const seen = ctx.anthropic.requestsContaining(m);
  assert.equal(seen.length, 1, `the Anthropic double should see exactly one request carrying ${m}, saw ${seen.length}`);
  return seen[0];
}

function systemText(system) {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.filter((b) => b.type === 'text').map((b) => b.text).join('\n');
  return undefined;
}

function blockText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter((b) => b.type === 'text').map((b) => b.text).join('');
  return '';
}

test('chat (non-stream) -> Anthropic: system prompt lands in `system`, answer and usage translated back', async () => {
  const m = marker('x');
  const r = await ctx.oa().chat.completions.create({
    model: 'claude-test', max_tokens: 50,
    messages: [{ role: 'system', content: `Be brief ${m}` }, { role: 'user', content: `Hello there ${m}` }],
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].message.content, ANTHROPIC_REPLY);
  assert.equal(r.choices[0].finish_reason, 'stop');

  const upstream = upstreamRequestFor(m);
  assert.equal(upstream.method, 'POST');
  assert.equal(upstream.path, '/v1/messages');
  assert.equal(upstream.headers['x-api-key'], ctx.anthropic.apiKey);
  assert.ok(upstream.headers['anthropic-version'], 'anthropic-version header is sent upstream');
  const headerText = JSON.stringify(upstream.headers);
  assert.ok(!headerText.includes(splitKey(ctx.key.key).secret) && !headerText.includes('gtk_'), 'caller key not forwarded');
  assert.equal(upstream.body.model, 'upstream-claude');
  assert.equal(systemText(upstream.body.system), `Be brief ${m}`);
  assert.deepEqual(upstream.body.messages.map((x) => x.role), ['user'], 'no system role inside messages');
  assert.equal(blockText(upstream.body.messages[0].content), `Hello there ${m}`);
  assert.equal(upstream.body.max_tokens, 50);

  assert.equal(r.usage.prompt_tokens, upstream.reportedUsage.input_tokens);
  assert.equal(r.usage.completion_tokens, upstream.reportedUsage.output_tokens);
  assert.equal(r.usage.total_tokens, upstream.reportedUsage.input_tokens + upstream.reportedUsage.output_tokens);
});

test('chat without max_tokens -> Anthropic still gets the required max_tokens', async () => {
  const m = marker('nomax');
  const r = await ctx.oa().chat.completions.create({ model: 'claude-test', messages: [{ role: 'user', content: `Hi ${m}` }] });
  assert.equal(r.choices[0].message.content, ANTHROPIC_REPLY);
  const { max_tokens: maxTokens } = upstreamRequestFor(m).body;
  assert.ok(Number.isInteger(maxTokens) && maxTokens > 0, `max_tokens upstream: ${maxTokens}`);
});

test('chat (stream, include_usage) -> Anthropic: text deltas, finish_reason stop, usage chunk, clean end', async () => {
  const m = marker('xs');
  const stream = await ctx.oa().chat.completions.create({
    model: 'claude-test', max_tokens: 50, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'system', content: 'Sys prompt.' }, { role: 'user', content: `Stream ${m}` }],
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
  const choices = chunks.flatMap((c) => c.choices);
  assert.equal(choices.map((ch) => ch.delta?.content ?? '').join(''), ANTHROPIC_REPLY);
  assert.ok(choices.filter((ch) => ch.delta?.content).length >= 2, 'text arrives incrementally');
  assert.deepEqual(choices.map((ch) => ch.finish_reason).filter(Boolean), ['stop']);
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1, 'every chunk of one completion has the same id');

  const upstream = upstreamRequestFor(m);
  assert.equal(upstream.body.stream, true);
  assert.equal(systemText(upstream.body.system), 'Sys prompt.');
  const usageChunks = chunks.filter((c) => c.usage);
  assert.equal(usageChunks.length, 1, 'exactly one usage chunk');
  assert.equal(usageChunks[0], chunks.at(-1));
  assert.deepEqual(usageChunks[0].choices, []);
  assert.equal(usageChunks[0].usage.prompt_tokens, upstream.reportedUsage.input_tokens);
  assert.equal(usageChunks[0].usage.completion_tokens, upstream.reportedUsage.output_tokens);
});

test('tool call (non-stream) -> Anthropic: tools become input_schema tools; tool_use becomes tool_calls', async () => {
  const m = marker('xt');
  const r = await ctx.oa().chat.completions.create({
    model: 'claude-tools', max_tokens: 50, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: `Weather? ${m}` }],
  });
  const choice = r.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, ANTHROPIC_TOOL_PREAMBLE);
  assert.equal(choice.message.tool_calls.length, 1);
  const call = choice.message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.ok(call.id);
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), ANTHROPIC_TOOL_INPUT);

  const upstream = upstreamRequestFor(m);
  assert.equal(upstream.body.tools.length, 1);
  const tool = upstream.body.tools[0];
  assert.equal(tool.name, 'get_weather');
  assert.equal(tool.description, WEATHER_TOOL.function.description);
  assert.deepEqual(tool.input_schema, WEATHER_TOOL.function.parameters);
});

test('tool call (stream) -> Anthropic: id and name first, argument fragments, finish_reason tool_calls', async () => {
  const m = marker('xts');
  const stream = await ctx.oa().chat.completions.create({
    model: 'claude-tools', max_tokens: 50, tools: [WEATHER_TOOL], stream: true,
    messages: [{ role: 'user', content: `Weather? ${m}` }],
  });
  const calls = new Map();
  const finishes = [];
  let text = '';
  for await (const chunk of stream) {
    for (const ch of chunk.choices) {
      if (ch.finish_reason) finishes.push(ch.finish_reason);
      text += ch.delta?.content ?? '';
      for (const tc of ch.delta?.tool_calls ?? []) {
        if (!calls.has(tc.index)) {
          assert.ok(tc.id, 'the first delta of a tool call carries its id');
          assert.equal(tc.type ?? 'function', 'function');
          assert.ok(tc.function?.name, 'the first delta of a tool call carries the name');
          calls.set(tc.index, { id: tc.id, name: tc.function.name, args: '' });
        } else {
          assert.ok(!tc.id || tc.id === calls.get(tc.index).id, 'later deltas do not change the id');
        }
        calls.get(tc.index).args += tc.function?.arguments ?? '';
      }
    }
  }
  assert.equal(text, ANTHROPIC_TOOL_PREAMBLE);
  assert.deepEqual([...calls.keys()], [0], 'tool call indexes start at 0 (not the Anthropic block index)');
  assert.equal(calls.get(0).name, 'get_weather');
  assert.deepEqual(JSON.parse(calls.get(0).args), ANTHROPIC_TOOL_INPUT);
  assert.deepEqual(finishes, ['tool_calls']);
});

test('tool result turn -> Anthropic: tool_use and tool_result blocks with the caller ids', async () => {
  const m = marker('xtr');
  const r = await ctx.oa().chat.completions.create({
    model: 'claude-test', max_tokens: 50, tools: [WEATHER_TOOL],
    messages: [
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: `Weather in Paris? ${m}` },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc123', content: '18C and sunny' },
    ],
  });
  assert.equal(r.choices[0].message.content, ANTHROPIC_REPLY);
  const sent = upstreamRequestFor(m).body;
  assert.equal(systemText(sent.system), 'Use tools.');
  assert.deepEqual(sent.messages.map((x) => x.role), ['user', 'assistant', 'user']);
  const toolUse = sent.messages[1].content.find((b) => b.type === 'tool_use');
  assert.ok(toolUse, `assistant turn has a tool_use block: ${JSON.stringify(sent.messages[1])}`);
  assert.equal(toolUse.id, 'call_abc123');
  assert.equal(toolUse.name, 'get_weather');
  assert.deepEqual(toolUse.input, { location: 'Paris' });
  const toolResult = sent.messages[2].content.find((b) => b.type === 'tool_result');
  assert.ok(toolResult, `next user turn has a tool_result block: ${JSON.stringify(sent.messages[2])}`);
  assert.equal(toolResult.tool_use_id, 'call_abc123');
  assert.equal(blockText(toolResult.content), '18C and sunny');
});
