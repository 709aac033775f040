// Guardrails in the request path, through the real binary and the official SDKs: a blocked
// request never reaches the upstream, redaction and pseudonymisation replace values before the
// provider sees them, pseudonyms are restored in the answer (whole and streamed), a secret
// split across two streamed chunks is caught, and a key mapped to another policy is treated by
// that policy. Usage records carry outcomes, never the values.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { LEAKED_SECRET } from './doubles/openai_double.js';
import { useEnvironment } from './lib/harness.js';
import { baseConfig, marker, waitForUsage } from './lib/gatehouse.js';

const SSN = '536-22-8174';
const CARD = '4111 1111 1111 1111';
const EMAIL = 'dana.whitfield@example.org';

const STRICT_POLICY = `
name = "strict"
[input]
SSN = "block"
CREDIT_CARD = "redact"
EMAIL = "pseudonymize"
[output]
SECRETS = "redact"
`;
const LENIENT_POLICY = `
name = "lenient"
[input]
PII = "flag"
`;

const ctx = useEnvironment({
  keys: ['strict', 'lenient'],
  configure(c) {
    const strict = path.join(c.dir, 'strict.toml');
    const lenient = path.join(c.dir, 'lenient.toml');
    fs.writeFileSync(strict, STRICT_POLICY);
    fs.writeFileSync(lenient, LENIENT_POLICY);
    const config = baseConfig({
      openai: c.openai, anthropic: c.anthropic, dir: c.dir,
      models: {
        echo: [{ provider: 'oa', model: 'echo' }],
        leaky: [{ provider: 'oa', model: 'leak-secret' }],
      },
    });
    config.guardrails = {
      default_policy: 'strict',
      policies: [{ name: 'strict', file: strict }, { name: 'lenient', file: lenient }],
      keys: { [c.keys.lenient.id]: 'lenient' },
    };
    return config;
  },
});

const forwardedWith = (m) => ctx.openai.requests.filter((r) => r.rawBody.includes(m));
const forwardedText = (m) => forwardedWith(m).map((r) => r.rawBody).join('\n');

async function streamText(stream) {
  let text = '';
  let chunks = 0;
  for await (const chunk of stream) {
    const piece = chunk.choices[0]?.delta?.content;
    if (piece) {
      text += piece;
      chunks += 1;
    }
  }
  return { text, chunks };
}

test('a blocked input gets 400 naming the rule, never the value, and the upstream sees nothing', async () => {
  const m = marker('block');
  const before = ctx.openai.requests.length;
  await assert.rejects(
    ctx.oa().chat.completions.create({
      model: 'echo', messages: [{ role: 'user', content: `${m} my SSN is ${SSN}, file it` }],
    }),
    (err) => {
      assert.equal(err.status, 400);
      assert.match(err.message, /SSN/);
      assert.ok(!err.message.includes(SSN), 'the error does not echo the value');
      return true;
    });
  const anthropicBlocked = await fetch(`${ctx.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': ctx.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'echo', max_tokens: 50, system: `SSN on file: ${SSN}`,
      messages: [{ role: 'user', content: `${m} hello` }] }),
  });
  assert.equal(anthropicBlocked.status, 400);
  const body = await anthropicBlocked.json();
  assert.equal(body.type, 'error');
  assert.match(body.error.message, /SSN/);
  assert.equal(ctx.openai.requests.length, before, 'nothing was forwarded');
});

test('a redacted value reaches the upstream only as a placeholder', async () => {
  const m = marker('redact');
  const response = await ctx.oa().chat.completions.create({
    model: 'echo', messages: [{ role: 'user', content: `${m} charge card ${CARD} today` }],
  });
  const forwarded = forwardedText(m);
  assert.ok(forwarded.includes('[CREDIT_CARD_1]'), forwarded);
  assert.ok(!forwarded.includes(CARD) && !forwarded.includes('4111111111111111'));
  // Redaction is not reversible: the caller sees the placeholder too.
  assert.ok(response.choices[0].message.content.includes('[CREDIT_CARD_1]'));
});

test('a pseudonymised value: the upstream sees a placeholder, the caller the original (whole answer)', async () => {
  const m = marker('pseudo');
  const prompt = `${m} please write to ${EMAIL} about ${EMAIL}`;
  const response = await ctx.oa().chat.completions.create({
    model: 'echo', messages: [{ role: 'user', content: prompt }],
  });
  const forwarded = forwardedText(m);
  assert.ok(!forwarded.includes(EMAIL), 'the provider never sees the address');
  assert.ok(forwarded.includes('[EMAIL_1]') && !forwarded.includes('[EMAIL_2]'),
    'one value, one stable placeholder');
  assert.equal(response.choices[0].message.content, prompt, 'the caller gets the original back');
});

test('a pseudonymised value is restored in a streamed answer, even split across chunks', async () => {
  const m = marker('pseudostream');
  // Longer than the output guard's 256-byte look-behind window, so text flows before the end.
  const filler = ' The quick brown fox jumps over the lazy dog.'.repeat(16);
  const prompt = `${m} reply to ${EMAIL} now.${filler} Then copy ${EMAIL} again.`;
  const stream = await ctx.oa().chat.completions.create({
    model: 'echo', stream: true, messages: [{ role: 'user', content: prompt }],
  });
  const { text, chunks } = await streamText(stream);
  assert.equal(text, prompt);
  assert.ok(chunks > 1, 'the answer was streamed in several chunks');
  assert.ok(!forwardedText(m).includes(EMAIL));
});

test('the Anthropic SDK gets pseudonyms restored through /v1/messages (stream)', async () => {
  const m = marker('pseudoanthropic');
  const prompt = `${m} contact ${EMAIL}`;
  const stream = ctx.an().messages.stream({
    model: 'echo', max_tokens: 100, messages: [{ role: 'user', content: prompt }],
  });
  const final = await stream.finalMessage();
  assert.equal(final.content.map((b) => b.text).join(''), prompt);
  assert.ok(!forwardedText(m).includes(EMAIL));
});

test('a secret split across two streamed chunks is caught in the output', async () => {
  const stream = await ctx.oa().chat.completions.create({
    model: 'leaky', stream: true, messages: [{ role: 'user', content: 'what is my key?' }],
  });
  const { text } = await streamText(stream);
  assert.ok(!text.includes(LEAKED_SECRET), `the secret leaked: ${text}`);
  assert.ok(!text.includes('AKIAQ3EGRJ') || !text.includes('5QZ2L7XKTM'));
  assert.match(text, /\[AWS_ACCESS_KEY_1\]/);
  assert.match(text, /^Your key is .* keep it safe\.$/);

  const whole = await ctx.oa().chat.completions.create({
    model: 'leaky', messages: [{ role: 'user', content: 'what is my key?' }],
  });
  assert.ok(!whole.choices[0].message.content.includes(LEAKED_SECRET));
});

test('a key mapped to another policy is treated by that policy', async () => {
  const m = marker('lenient');
  const response = await ctx.oa(ctx.keys.lenient.key).chat.completions.create({
    model: 'echo', messages: [{ role: 'user', content: `${m} mail ${EMAIL}` }],
  });
  assert.ok(forwardedText(m).includes(EMAIL), 'flag only: forwarded unchanged');
  assert.equal(response.choices[0].message.content, `${m} mail ${EMAIL}`);
});

test('usage records carry guardrail outcomes and no values', async () => {
  const m = marker('usage');
  const raw = await ctx.oa().chat.completions.create({
    model: 'echo', messages: [{ role: 'user', content: `${m} ${EMAIL} and ${CARD}` }],
  }).withResponse();
  const requestId = raw.response.headers.get('x-request-id');
  const records = await waitForUsage(ctx.dataDir, [requestId]);
  const record = records.find((r) => r.request_id === requestId);
  assert.match(record.guardrails, /EMAIL:pseudonymize:1/);
  assert.equal(record.status, 200);
  assert.match(record.guardrails, /CREDIT_CARD:redact:1/);
  const exported = JSON.stringify(record);
  assert.ok(!exported.includes(EMAIL) && !exported.includes(CARD));
});
