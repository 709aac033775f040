// Process lifecycle: health endpoints, and SIGTERM while a stream is in flight (the stream
// completes, new connections are refused, the process exits 0, usage is flushed).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { useEnvironment } from './lib/harness.js';
import { deadline, marker, rawRequest, sleep, waitForUsage } from './lib/gatehouse.js';

const CHUNKS = 20; // the double streams one every 100 ms: ~2 s
const ctx = useEnvironment({
  models: {
    'gpt-test': [{ provider: 'oa', model: 'upstream-gpt' }],
    'slow-short': [{ provider: 'oa', model: `slow-stream-${CHUNKS}` }],
  },
});

test('/healthz and /readyz answer 200 without credentials', async () => {
  for (const path of ['/healthz', '/readyz']) {
    const r = await rawRequest(`${ctx.url}${path}`);
    assert.equal(r.status, 200, `${path}: ${r.status} ${r.text}`);
  }
});

test('SIGTERM during a stream: the stream completes, new connections are refused, exit 0, usage flushed', async () => {
  // Some keep-alive traffic first, so idle pooled connections exist when SIGTERM arrives.
  await ctx.oa().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'warm up' }] });

  const m = marker('drain');
  const { data: stream, response } = await ctx.oa().chat.completions
    .create({ model: 'slow-short', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `Drain ${m}` }] })
    .withResponse();
  const requestId = response.headers.get('x-request-id');
  const iterator = stream[Symbol.asyncIterator]();
  const chunks = [];
  while (!chunks.some((c) => c.choices[0]?.delta?.content)) {
    const { value, done } = await iterator.next();
    assert.ok(!done, 'the stream ended before its first content chunk');
    chunks.push(value);
  }

  ctx.gateway.process.kill('SIGTERM');
  await sleep(300);
  let probe;
  try {
    const r = await rawRequest(`${ctx.url}/healthz`, { timeoutMs: 2000 });
    probe = `HTTP ${r.status}`;
    assert.ok(r.status >= 500, `a new connection during the drain was served ${r.status}; SIGTERM must stop accepting`);
  } catch (err) {
    if (err.code === 'ERR_ASSERTION') throw err;
    probe = err.code ?? err.message; // refused / reset: not accepted
  }

  for (;;) {
    const { value, done } = await iterator.next();
    if (done) break;
    chunks.push(value);
  }
  const streamEndedAt = Date.now();
  const text = chunks.flatMap((c) => c.choices).map((ch) => ch.delta?.content ?? '').join('');
  assert.equal(text, Array.from({ length: CHUNKS }, (_, i) => `tok${i} `).join(''), 'the in-flight stream completes in full');
  assert.deepEqual(chunks.flatMap((c) => c.choices).map((ch) => ch.finish_reason).filter(Boolean), ['stop']);
  assert.ok(chunks.at(-1).usage, 'the usage chunk arrives too');

  const exit = await Promise.race([ctx.gateway.exited, deadline(10000, null)]);
  assert.ok(exit, `gatehouse did not exit within 10 s of the stream's end (probe during drain: ${probe})`);
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'exit status 0');
  const [upstream] = ctx.openai.requestsContaining(m);
  assert.equal(upstream.streamCompleted, true);
  assert.ok(exit.at >= upstream.finishedAt, 'the process exited after the upstream stream finished');
  assert.ok(exit.at - streamEndedAt < 5000, `exit ${exit.at - streamEndedAt} ms after the stream ended (idle keep-alive connections must not delay it)`);

  const records = await waitForUsage(ctx.dataDir, [requestId], { timeoutMs: 2000 });
  const rec = records.find((r) => r.request_id === requestId);
  assert.equal(rec.model, 'slow-short');
  assert.equal(rec.output_tokens, upstream.reportedUsage.output_tokens, 'usage of the drained stream was flushed at exit');
});
