// `gatehouse usage export`: one record per request with the token counts the upstreams reported,
// in jsonl and csv, and never any prompt text.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { useEnvironment } from './lib/harness.js';
import { exportUsage, marker, parseCsv, parseJsonl, splitKey, waitForUsage } from './lib/gatehouse.js';

const ctx = useEnvironment();

const COLUMNS = ['request_id', 'created_at', 'key_id', 'model', 'provider', 'deployment', 'upstream_model',
  'endpoint', 'stream', 'input_tokens', 'output_tokens', 'latency_ms', 'status'];

const sent = []; // {label, requestId, marker, model, provider, upstreamModel, stream, double, kind}
let startedAt;

async function drain(stream) {
  for await (const _ of stream) { /* consume */ } // eslint-disable-line no-unused-vars
}

before(async () => {
  await ctx.ready();
  startedAt = Date.now();
  const oa = ctx.oa();
  const an = ctx.an();
  const add = (label, requestId, m, extra) => sent.push({ label, requestId, marker: m, ...extra });

  let m = marker('PROMPT-SECRET');
  let res = await oa.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `Hello ${m}` }] }).withResponse();
  add('openai chat', res.response.headers.get('x-request-id'), m,
    { model: 'gpt-test', provider: 'oa', upstreamModel: 'upstream-gpt', stream: false, double: ctx.openai, kind: 'chat' });

  m = marker('PROMPT-SECRET');
  res = await oa.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: `Stream without usage ${m}` }] }).withResponse();
  await drain(res.data);
  add('openai chat stream (caller did not ask for usage)', res.response.headers.get('x-request-id'), m,
    { model: 'gpt-test', provider: 'oa', upstreamModel: 'upstream-gpt', stream: true, double: ctx.openai, kind: 'chat' });

  m = marker('PROMPT-SECRET');
  res = await oa.chat.completions.create({ model: 'claude-test', max_tokens: 30, messages: [{ role: 'system', content: `sys ${m}` }, { role: 'user', content: `one two three ${m}` }] }).withResponse();
  add('openai chat -> anthropic', res.response.headers.get('x-request-id'), m,
    { model: 'claude-test', provider: 'an', upstreamModel: 'upstream-claude', stream: false, double: ctx.anthropic, kind: 'chat' });

  m = marker('PROMPT-SECRET');
  res = await oa.chat.completions.create({ model: 'claude-test', max_tokens: 30, stream: true, messages: [{ role: 'user', content: `a b c d ${m}` }] }).withResponse();
  await drain(res.data);
  add('openai chat stream -> anthropic', res.response.headers.get('x-request-id'), m,
    { model: 'claude-test', provider: 'an', upstreamModel: 'upstream-claude', stream: true, double: ctx.anthropic, kind: 'chat' });

  m = marker('PROMPT-SECRET');
  const s = an.messages.stream({ model: 'gpt-test', max_tokens: 30, messages: [{ role: 'user', content: `anthropic caller ${m}` }] });
  const { response } = await s.withResponse();
  await s.finalMessage();
  add('anthropic messages stream -> openai', response.headers.get('x-request-id'), m,
    { model: 'gpt-test', provider: 'oa', upstreamModel: 'upstream-gpt', stream: true, double: ctx.openai, kind: 'messages' });

  m = marker('PROMPT-SECRET');
  res = await oa.embeddings.create({ model: 'embed-test', input: [`embed me ${m}`, 'and me too'], encoding_format: 'float' }).withResponse();
  add('embeddings', res.response.headers.get('x-request-id'), m,
    { model: 'embed-test', provider: 'oa', upstreamModel: 'upstream-embed', stream: false, double: ctx.openai, kind: 'embeddings' });

  for (const r of sent) assert.ok(r.requestId, `${r.label}: response has x-request-id`);
});

test('jsonl: one record per request, with the upstream-reported token counts and the routing facts', async () => {
  const ids = sent.map((r) => r.requestId);
  assert.equal(new Set(ids).size, ids.length, 'request ids are unique');
  const records = await waitForUsage(ctx.dataDir, ids, { timeoutMs: 5000 });
  const endpoints = {};
  for (const req of sent) {
    const mine = records.filter((r) => r.request_id === req.requestId);
    assert.equal(mine.length, 1, `${req.label}: exactly one usage record`);
    const rec = mine[0];
    for (const col of COLUMNS) assert.ok(col in rec, `${req.label}: record has ${col}: ${JSON.stringify(rec)}`);
    const [upstream] = req.double.requestsContaining(req.marker);
    assert.ok(upstream?.reportedUsage, `${req.label}: the double answered it`);
    const hint = upstream.usageSent === false ? ' (the gateway did not ask the upstream stream for usage)' : '';
    assert.equal(rec.input_tokens, upstream.reportedUsage.input_tokens, `${req.label}: input_tokens${hint}`);
    assert.equal(rec.output_tokens, upstream.reportedUsage.output_tokens, `${req.label}: output_tokens${hint}`);
    assert.equal(rec.key_id, ctx.key.id, `${req.label}: key_id`);
    assert.equal(rec.model, req.model, `${req.label}: model`);
    assert.equal(rec.provider, req.provider, `${req.label}: provider`);
    assert.equal(rec.upstream_model, req.upstreamModel, `${req.label}: upstream_model`);
    assert.equal(rec.stream, req.stream, `${req.label}: stream`);
    assert.equal(rec.status, 200, `${req.label}: status`);
    assert.ok(rec.deployment !== null && rec.deployment !== '', `${req.label}: deployment is set`);
    assert.equal(typeof rec.latency_ms, 'number');
    assert.ok(rec.latency_ms >= 0 && rec.latency_ms < 10000, `${req.label}: latency_ms ${rec.latency_ms}`);
    const created = typeof rec.created_at === 'number'
      ? (rec.created_at > 1e12 ? rec.created_at : rec.created_at * 1000)
      : Date.parse(rec.created_at);
    assert.ok(Number.isFinite(created), `${req.label}: created_at parses: ${rec.created_at}`);
    assert.ok(created >= startedAt - 2000 && created <= Date.now() + 2000, `${req.label}: created_at ${rec.created_at} is now`);
    assert.ok(typeof rec.endpoint === 'string' && rec.endpoint.length > 0, `${req.label}: endpoint`);
    (endpoints[req.kind] ??= new Set()).add(rec.endpoint);
  }
  for (const [kind, set] of Object.entries(endpoints)) assert.equal(set.size, 1, `${kind} requests share one endpoint value`);
  assert.equal(new Set(Object.values(endpoints).map((s) => [...s][0])).size, 3, 'chat, messages and embeddings endpoints differ');
});

test('csv: a header with every column and the same records as jsonl', async () => {
  const ids = sent.map((r) => r.requestId);
  const jsonl = await waitForUsage(ctx.dataDir, ids, { timeoutMs: 5000 });
  const rows = parseCsv(await exportUsage(ctx.dataDir, 'csv'));
  const [header, ...data] = rows;
  for (const col of COLUMNS) assert.ok(header.includes(col), `csv header has ${col}: ${header.join(',')}`);
  const at = Object.fromEntries(header.map((h, i) => [h, i]));
  for (const row of data) assert.equal(row.length, header.length, `row width: ${row.join(',')}`);
  for (const id of ids) {
    const row = data.filter((r) => r[at.request_id] === id);
    assert.equal(row.length, 1, `one csv row for ${id}`);
    const rec = jsonl.find((r) => r.request_id === id);
    for (const col of ['key_id', 'model', 'provider', 'upstream_model', 'endpoint', 'input_tokens', 'output_tokens', 'status']) {
      assert.equal(row[0][at[col]], String(rec[col]), `csv ${col} for ${id}`);
    }
    assert.ok(['true', 'false', '1', '0'].includes(row[0][at.stream]), `csv stream value: ${row[0][at.stream]}`);
    assert.equal(['true', '1'].includes(row[0][at.stream]), rec.stream, `csv stream for ${id}`);
  }
});

test('exports contain no prompt text and no key material', async () => {
  const jsonl = await exportUsage(ctx.dataDir, 'jsonl');
  const csv = await exportUsage(ctx.dataDir, 'csv');
  assert.ok(parseJsonl(jsonl).length >= sent.length);
  for (const req of sent) {
    assert.ok(!jsonl.includes(req.marker), `${req.label}: prompt text in the jsonl export`);
    assert.ok(!csv.includes(req.marker), `${req.label}: prompt text in the csv export`);
  }
  for (const text of [jsonl, csv]) {
    assert.ok(!text.includes('PROMPT-SECRET'), 'no prompt text at all');
    assert.ok(!text.includes(splitKey(ctx.key.key).secret), 'no key secret');
    assert.ok(!text.includes('gtk_'), 'no key');
  }
});
