// Self-test of the upstream doubles: the official SDKs talk to them directly (no gateway), so a
// failure here means a double does not speak its provider's wire format, not a gateway bug.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import {
  ANTHROPIC_RATE_LIMIT_HEADERS,
  ANTHROPIC_REPLY,
  ANTHROPIC_TOOL_INPUT,
  startAnthropicDouble,
} from './doubles/anthropic_double.js';
import { OPENAI_REPLY, TOOL_ARGUMENTS, startOpenAIDouble } from './doubles/openai_double.js';
import { rawRequest } from './lib/gatehouse.js';

const WEATHER_TOOL_OPENAI = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } },
};

describe('OpenAI double speaks the Chat Completions wire format', () => {
  let double;
  let client;
  before(async () => {
    double = await startOpenAIDouble();
    client = new OpenAI({ apiKey: double.apiKey, baseURL: double.baseUrl, maxRetries: 0 });
  });
  after(() => double.close());

  test('non-stream chat', async () => {
    const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'one two' }] });
    assert.equal(r.choices[0].message.content, OPENAI_REPLY);
    assert.equal(r.usage.prompt_tokens, 9);
  });

  test('stream with usage and tool calls accumulate through the SDK helper', async () => {
    const stream = client.chat.completions.stream({
      model: 'tool-call', messages: [{ role: 'user', content: 'x' }], tools: [WEATHER_TOOL_OPENAI],
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0].message.tool_calls[0];
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), TOOL_ARGUMENTS);
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
    assert.equal(final.usage.completion_tokens, 9);
  });

  test('embeddings in the SDK default (base64) and float encodings', async () => {
    const b = await client.embeddings.create({ model: 'e', input: ['a', 'b c'] });
    const f = await client.embeddings.create({ model: 'e', input: ['a', 'b c'], encoding_format: 'float' });
    assert.deepEqual(b.data.map((d) => d.embedding), f.data.map((d) => d.embedding));
    assert.equal(f.usage.prompt_tokens, 3);
  });

  test('errors: 401 on a wrong key, 429 with headers, 500', async () => {
    const bad = new OpenAI({ apiKey: 'nope', baseURL: double.baseUrl, maxRetries: 0 });
    await assert.rejects(bad.models.list(), (e) => e.status === 401 && e.code === 'invalid_api_key');
    await assert.rejects(client.chat.completions.create({ model: 'rate-limited', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 429 && e.headers.get('x-ratelimit-remaining-requests') === '0');
    await assert.rejects(client.chat.completions.create({ model: 'fail-500', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 500 && e.type === 'server_error');
  });
});

describe('Anthropic double speaks the Messages wire format', () => {
  let double;
  let client;
  before(async () => {
    double = await startAnthropicDouble();
    client = new Anthropic({ apiKey: double.apiKey, baseURL: double.baseUrl, maxRetries: 0 });
  });
  after(() => double.close());

  test('non-stream and stream agree, with documented event order', async () => {
    const params = { model: 'm', max_tokens: 10, system: 'sys', messages: [{ role: 'user', content: 'hi there' }] };
    const msg = await client.messages.create(params);
    assert.equal(msg.content[0].text, ANTHROPIC_REPLY);
    const stream = client.messages.stream(params);
    const types = [];
    for await (const ev of stream) types.push(ev.type);
    const final = await stream.finalMessage();
    assert.equal(final.content[0].text, ANTHROPIC_REPLY);
    assert.deepEqual(final.usage.output_tokens, msg.usage.output_tokens);
    assert.deepEqual(final.usage.input_tokens, msg.usage.input_tokens);
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
  });

  test('tool use streams input_json_delta that the SDK assembles', async () => {
    const stream = client.messages.stream({
      model: 'tool-call', max_tokens: 10, messages: [{ role: 'user', content: 'x' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
    });
    const final = await stream.finalMessage();
    assert.deepEqual(final.content[1].input, ANTHROPIC_TOOL_INPUT);
    assert.equal(final.stop_reason, 'tool_use');
  });

  test('errors in the Anthropic dialect', async () => {
    const bad = new Anthropic({ apiKey: 'nope', baseURL: double.baseUrl, maxRetries: 0 });
    await assert.rejects(bad.messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 401 && e.error.error.type === 'authentication_error');
    await assert.rejects(client.messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'system', content: 'x' }] }),
      (e) => e.status === 400 && e.error.error.type === 'invalid_request_error');
    const r = await rawRequest(`${double.origin}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': double.apiKey, 'anthropic-version': '2023-06-01' },
      body: { model: 'rate-limited', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] },
    });
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], ANTHROPIC_RATE_LIMIT_HEADERS['retry-after']);
    assert.equal(r.json.error.type, 'rate_limit_error');
  });
});
