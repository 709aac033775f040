// Opt-in content history: an organisation that turns it on gets each answered request and the
// response its caller received (streams as relayed) sealed with its data key; admins read it
// back through the API (audited); the database never holds it in clear; organisations that did
// not opt in, and requests that were refused, leave nothing behind.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import {
  DEV_MODE_ENV,
  adminApi,
  adminOk,
  marker,
  openaiHeaders,
  rawDataDirFiles,
  rawRequest,
  waitFor,
} from './lib/gatehouse.js';
import { STANDARD_MODELS, useEnvironment } from './lib/harness.js';

let dataDir;
let gateway;
const keeping = {};
const plain = {};

const chat = (key, content, extra = {}) => rawRequest(`${gateway.url}/v1/chat/completions`, {
  method: 'POST', headers: openaiHeaders(key),
  body: { model: 'gpt-test', messages: [{ role: 'user', content }], ...extra },
});

async function organisation(o, label, history) {
  const su = gateway.bootstrapKey;
  o.org = await adminOk(gateway.url, su, 'POST', '/orgs', { name: label });
  const p = `/orgs/${o.org.id}`;
  o.owner = await adminOk(gateway.url, su, 'POST', `${p}/admin-keys`, { name: 'owner', role: 'owner' });
  o.viewer = await adminOk(gateway.url, o.owner.key, 'POST', `${p}/admin-keys`, { name: 'v', role: 'viewer' });
  const project = await adminOk(gateway.url, o.owner.key, 'POST', `${p}/projects`, { name: 'p' });
  if (history) await adminOk(gateway.url, o.owner.key, 'PATCH', p, { content_history: true });
  o.caller = await adminOk(gateway.url, o.owner.key, 'POST', `${p}/keys`, { project_id: project.id, name: 'k' });
  await waitFor(async () => (await chat(o.caller.key, 'warm-up')).status === 200,
    { timeoutMs: 3000, what: `${label}'s key accepted` });
}

const history = async (o, key = o.owner.key) =>
  adminApi(gateway.url, key, 'GET', `/orgs/${o.org.id}/history?limit=100`);

// Development mode (no master key from outside), no caller key: the file works through the
// bootstrap admin key.
const fixture = useEnvironment({
  models: { 'gpt-test': STANDARD_MODELS['gpt-test'] }, keys: [], env: DEV_MODE_ENV, prefix: 'gatehouse-history-',
});

before(async () => {
  ({ dataDir, gateway } = await fixture.ready());
  await organisation(keeping, 'keeping', true);
  await organisation(plain, 'plain', false);
});

test('an opted-in organisation reads back what its caller sent and received, whole and streamed', async () => {
  keeping.whole = marker('whole');
  keeping.streamed = marker('streamed');
  const whole = await chat(keeping.caller.key, keeping.whole);
  assert.equal(whole.status, 200, whole.text);
  const streamed = await chat(keeping.caller.key, keeping.streamed, { stream: true });
  assert.equal(streamed.status, 200, streamed.text);
  const entries = await waitFor(async () => {
    const r = await history(keeping);
    assert.equal(r.status, 200, r.text);
    const found = r.json.data.filter((e) => (e.request ?? '').includes(keeping.whole) || (e.request ?? '').includes(keeping.streamed));
    return found.length === 2 ? found : null;
  }, { timeoutMs: 3000, what: 'both entries in the history' });
  const byMarker = Object.fromEntries(entries.map((e) => [e.request.includes(keeping.whole) ? 'whole' : 'streamed', e]));
  assert.equal(byMarker.whole.response, whole.text, 'the whole answer exactly as the caller got it');
  assert.equal(byMarker.streamed.response, streamed.text, 'the stream exactly as relayed');
  assert.match(byMarker.streamed.response, /data: \[DONE\]/);
  for (const e of entries) {
    assert.ok(e.request_id.startsWith('req_'), JSON.stringify(e));
    assert.equal(e.error, undefined);
  }
});

test('reading the history needs the admin role and is audited', async () => {
  const denied = await history(keeping, keeping.viewer.key);
  assert.equal(denied.status, 403, denied.text);
  const audit = await adminOk(gateway.url, keeping.owner.key, 'GET', `/orgs/${keeping.org.id}/audit`);
  assert.ok(audit.data.some((e) => e.action === 'content_history.read' && e.outcome === 'success'));
  assert.ok(audit.data.some((e) => e.action === 'content_history.read' && e.outcome === 'denied'));
  // Another organisation's owner cannot see it at all.
  const other = await adminApi(gateway.url, plain.owner.key, 'GET', `/orgs/${keeping.org.id}/history`);
  assert.equal(other.status, 404, other.text);
});

test('refused requests and organisations that did not opt in leave no content behind', async () => {
  const refused = marker('refused');
  const unknown = await rawRequest(`${gateway.url}/v1/chat/completions`, {
    method: 'POST', headers: openaiHeaders(keeping.caller.key),
    body: { model: 'no-such-model', messages: [{ role: 'user', content: refused }] },
  });
  assert.equal(unknown.status, 404);
  const plainMarker = marker('plain');
  assert.equal((await chat(plain.caller.key, plainMarker)).status, 200);
  // Give the background writer time it would need, then check nothing came.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const kept = await history(keeping);
  assert.ok(!kept.text.includes(refused), 'a 404 is not kept');
  const none = await history(plain);
  assert.equal(none.status, 200, none.text);
  assert.deepEqual(none.json.data, [], 'an organisation that did not opt in has no history');
});

test('the history is never in the database files in clear', async () => {
  const files = rawDataDirFiles(dataDir);
  for (const [name, bytes] of Object.entries(files)) {
    for (const m of [keeping.whole, keeping.streamed]) {
      assert.ok(!bytes.includes(Buffer.from(m)), `${name} holds ${m} in clear`);
    }
  }
});
