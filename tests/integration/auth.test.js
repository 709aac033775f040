// Caller authentication: the keys CLI, revocation in a running server, and 401s in each dialect
// that reveal nothing about why a key was refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { OPENAI_REPLY } from './doubles/openai_double.js';
import { useEnvironment } from './lib/harness.js';
import {
  KEY_PATTERN,
  anthropicHeaders,
  checksumSchemeOf,
  createKeyPlain,
  forgeKey,
  listKeys,
  marker,
  openaiHeaders,
  randomBase62,
  rawRequest,
  revokeKey,
  sleep,
  splitKey,
} from './lib/gatehouse.js';

const ctx = useEnvironment({ keys: ['main', 'victim'] });
const secretsUsed = new Set();

const chatBody = (m) => ({ model: 'gpt-test', messages: [{ role: 'user', content: `auth ${m}` }] });
const messagesBody = (m) => ({ model: 'gpt-test', max_tokens: 20, messages: [{ role: 'user', content: `auth ${m}` }] });

const chat = (key, m, headers) => rawRequest(`${ctx.url}/v1/chat/completions`, {
  method: 'POST', headers: headers ?? openaiHeaders(key), body: chatBody(m),
});
const messages = (key, m, headers) => rawRequest(`${ctx.url}/v1/messages`, {
  method: 'POST', headers: headers ?? anthropicHeaders(key), body: messagesBody(m),
});

function assertOpenAIError(r, status) {
  assert.equal(r.status, status, `status; body: ${r.text}`);
  assert.match(r.headers['content-type'] ?? '', /application\/json/);
  assert.ok(r.json && typeof r.json.error === 'object', `OpenAI error body: ${r.text}`);
  const { error } = r.json;
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  assert.equal(typeof error.type, 'string');
  assert.ok('param' in error, 'error.param is present (may be null)');
  assert.ok('code' in error, 'error.code is present (may be null)');
}

function assertAnthropicError(r, status, type) {
  assert.equal(r.status, status, `status; body: ${r.text}`);
  assert.match(r.headers['content-type'] ?? '', /application\/json/);
  assert.ok(r.json, `JSON body: ${r.text}`);
  assert.equal(r.json.type, 'error', `Anthropic error body: ${r.text}`);
  assert.equal(r.json.error?.type, type, `Anthropic error type; body: ${r.text}`);
  assert.equal(typeof r.json.error.message, 'string');
}

/** The body with this response's own request id (per-request noise, not a distinguisher) blanked. */
function normalized(r) {
  const id = r.headers['x-request-id'];
  return id ? r.text.split(id).join('<request-id>') : r.text;
}

/** Keys that must all be refused the same way. */
function refusedKeys() {
  const main = ctx.keys.main.key;
  const scheme = checksumSchemeOf(main);
  const { id: mainId } = splitKey(main);
  const keys = {
    'random well-formed key': forgeKey(randomBase62(16), randomBase62(43), scheme),
    'real id, wrong secret': forgeKey(mainId, randomBase62(43), scheme),
    'real id, wrong secret, bad checksum': forgeKey(mainId, randomBase62(43), null),
    'revoked key': ctx.keys.victim.key,
  };
  for (const k of Object.values(keys)) secretsUsed.add(splitKey(k).secret);
  return { keys, scheme };
}

test('keys CLI: create prints only the key (or JSON with --json); list shows revocation state, no secrets', async () => {
  for (const k of Object.values(ctx.keys)) {
    assert.match(k.key, KEY_PATTERN);
    assert.ok(typeof k.id === 'string' && k.id.includes(splitKey(k.key).id), `id ${k.id} is the key's embedded id`);
    secretsUsed.add(splitKey(k.key).secret);
  }
  assert.equal(ctx.keys.main.name, 'main');
  assert.notEqual(ctx.keys.main.key, ctx.keys.victim.key);

  const plain = await createKeyPlain(ctx.dataDir, 'plain');
  const lines = plain.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `only the key on stdout: ${JSON.stringify(plain)}`);
  assert.match(lines[0].trim(), KEY_PATTERN);
  secretsUsed.add(splitKey(lines[0].trim()).secret);

  const list = await listKeys(ctx.dataDir);
  assert.ok(Array.isArray(list));
  const byName = Object.fromEntries(list.map((k) => [k.name, k]));
  for (const name of ['main', 'victim', 'plain']) {
    assert.ok(byName[name], `keys list has ${name}: ${JSON.stringify(list)}`);
    assert.equal(byName[name].revoked_at, null, `${name} is active (revoked_at null)`);
    assert.ok(byName[name].created_at, 'created_at is set');
  }
  assert.equal(byName.main.id, ctx.keys.main.id);
  assert.ok(!JSON.stringify(list).includes('gtk_'), 'keys list never shows keys');
  for (const s of secretsUsed) assert.ok(!JSON.stringify(list).includes(s), 'keys list never shows secrets');
});

test('valid keys are accepted on /v1/chat/completions and /v1/messages', async () => {
  const m = marker('ok');
  const a = await chat(ctx.keys.main.key, m);
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.choices[0].message.content, OPENAI_REPLY);
  const b = await messages(ctx.keys.main.key, m);
  assert.equal(b.status, 200, b.text);
  assert.equal(b.json.type, 'message');
  const c = await chat(ctx.keys.victim.key, m);
  assert.equal(c.status, 200, `the victim key works before revocation: ${c.text}`);
});

test('a revoked key stops working within 1 second in the running server; other keys keep working', async () => {
  await revokeKey(ctx.dataDir, ctx.keys.victim.id);
  const revokedAt = Date.now();
  let status;
  let elapsed;
  for (;;) {
    const r = await chat(ctx.keys.victim.key, marker('revoke'));
    status = r.status;
    elapsed = Date.now() - revokedAt;
    if (status === 401 || elapsed > 3000) break;
    await sleep(50);
  }
  assert.equal(status, 401, `revoked key still answered ${status} after ${elapsed} ms`);
  assert.ok(elapsed <= 1250, `revocation took ${elapsed} ms (contract: within 1 s)`);

  const again = await chat(ctx.keys.main.key, marker('still'));
  assert.equal(again.status, 200, 'the other key still works');

  const list = await listKeys(ctx.dataDir);
  const victim = list.find((k) => k.id === ctx.keys.victim.id);
  assert.equal(typeof victim?.revoked_at, 'number', `the victim shows revoked_at: ${JSON.stringify(victim)}`);
  assert.ok(victim.revoked_at >= revokedAt - 5000 && victim.revoked_at <= Date.now() + 5000,
    `revoked_at ${victim.revoked_at} is about when it was revoked (${revokedAt})`);
  assert.equal(list.find((k) => k.id === ctx.keys.main.id)?.revoked_at, null);

  await assert.rejects(ctx.oa(ctx.keys.victim.key).chat.completions.create(chatBody(marker('sdk'))),
    (e) => e.status === 401, 'the OpenAI SDK sees a 401 (AuthenticationError)');
});

for (const [dialect, send, assertError] of [
  ['OpenAI dialect on /v1/chat/completions', chat, (r) => assertOpenAIError(r, 401)],
  ['Anthropic dialect on /v1/messages', messages, (r) => assertAnthropicError(r, 401, 'authentication_error')],
]) {
  test(`refused keys (${dialect}): identical 401 bodies for unknown id, wrong secret and revoked key; nothing revealed`, async () => {
    const { keys, scheme } = refusedKeys();
    const m = marker('refused');
    const results = {};
    for (const [label, key] of Object.entries(keys)) {
      const r = await send(key, m);
      assertError(r);
      assert.ok(r.headers['x-request-id'], 'errors carry x-request-id too');
      const { id, secret } = splitKey(key);
      for (const [what, value] of [['key', key], ['key id', id], ['secret', secret],
        ['main key id', ctx.keys.main.id], ['victim key id', ctx.keys.victim.id]]) {
        assert.ok(!r.text.includes(value), `${label}: 401 body reveals the ${what}: ${r.text}`);
      }
      results[label] = { body: normalized(r), contentType: r.headers['content-type'] };
    }
    const [firstLabel, first] = Object.entries(results)[0];
    for (const [label, got] of Object.entries(results)) {
      assert.deepEqual(got, first, `401 for "${label}" differs from "${firstLabel}"` +
        (scheme ? '' : ' (checksum scheme unknown: forged keys carry random checksums)'));
    }
    assert.equal(ctx.openai.requestsContaining(m).length + ctx.anthropic.requestsContaining(m).length, 0,
      'refused requests never reach an upstream');
  });
}

test('missing or malformed credentials get 401 in the caller dialect', async () => {
  const m = marker('missing');
  assertOpenAIError(await chat(undefined, m), 401);
  assertOpenAIError(await chat(undefined, m, { authorization: 'Bearer ' }), 401);
  assertOpenAIError(await chat(undefined, m, { authorization: 'Bearer gtk_short' }), 401);
  assertOpenAIError(await chat(undefined, m, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }), 401);
  assertAnthropicError(await messages(undefined, m), 401, 'authentication_error');
  assertAnthropicError(await messages('sk-ant-not-a-gatehouse-key', m), 401, 'authentication_error');
  await assert.rejects(ctx.an('sk-ant-not-a-gatehouse-key').messages.create(messagesBody(marker('sdk'))),
    (e) => e.status === 401 && e.error?.error?.type === 'authentication_error');
  assert.equal(ctx.openai.requestsContaining(m).length, 0);
});

test('the gateway never writes key secrets to its output', () => {
  assert.ok(secretsUsed.size >= 3);
  const output = ctx.gateway.output();
  for (const s of secretsUsed) assert.ok(!output.includes(s), 'a key secret appears in the gateway output');
});
