// Crypto-shredding: deleting an organisation removes its rows from gatehouse.db and its data
// key from keyring.db (no trace of the wrapped key left in the file or its log), and a backup
// of gatehouse.db taken before the deletion is useless for it: restored next to the instance's
// current keyring, master key and pepper, the deleted organisation's provider keys do not
// decrypt (its callers get a 502 and nothing is forwarded), while another organisation in the
// same backup works.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  DEV_MODE_ENV,
  adminApi,
  adminOk,
  baseConfig,
  copyDataDir,
  marker,
  openaiHeaders,
  rawDataDirFiles,
  randomSecret,
  rawRequest,
  sqliteOk,
  sqliteRows,
  startGateway,
  waitFor,
} from './lib/gatehouse.js';
import { STANDARD_MODELS, useEnvironment } from './lib/harness.js';

// Every table holding organisation data, and the column naming the organisation.
const ORG_TABLES = {
  organizations: 'id', projects: 'org_id', memberships: 'org_id', caller_keys: 'org_id', admin_keys: 'org_id',
  org_providers: 'org_id', provider_keys: 'org_id', org_models: 'org_id', content_history: 'org_id',
};

let dir;
let dataDir;
let backupDb;
let openai;
let gateway;
let restored;
let su;
const doomed = {};
const kept = {};

const chat = (url, key, m) => rawRequest(`${url}/v1/chat/completions`, {
  method: 'POST', headers: openaiHeaders(key),
  body: { model: 'gpt-test', messages: [{ role: 'user', content: `shred ${m}` }] },
});

async function populate(o, label) {
  const url = gateway.url;
  o.org = await adminOk(url, su, 'POST', '/orgs', { name: `shred-${label}` });
  const p = `/orgs/${o.org.id}`;
  o.owner = await adminOk(url, su, 'POST', `${p}/admin-keys`, { name: 'owner', role: 'owner' });
  o.project = await adminOk(url, o.owner.key, 'POST', `${p}/projects`, { name: 'p' });
  o.project2 = await adminOk(url, o.owner.key, 'POST', `${p}/projects`, { name: 'p2' });
  await adminOk(url, o.owner.key, 'POST', `${p}/members`, { email: `erin@${label}.example`, name: 'Erin', role: 'admin' });
  await adminOk(url, o.owner.key, 'PATCH', p, { content_history: true });
  o.providerSecret = randomSecret(`sk-shred-${label}-`, 40);
  o.projectSecret = randomSecret(`sk-shred-${label}-p2-`, 40);
  openai.acceptKey(o.providerSecret);
  openai.acceptKey(o.projectSecret);
  await adminOk(url, o.owner.key, 'POST', `${p}/provider-keys`, { provider: 'oa', name: 'org', key: o.providerSecret });
  await adminOk(url, o.owner.key, 'POST', `${p}/provider-keys`, { provider: 'oa', name: 'p2', key: o.projectSecret, project_id: o.project2.id });
  await adminOk(url, o.owner.key, 'POST', `${p}/providers`, { name: `own-${label}`, type: 'openai-compatible', base_url: 'https://1.1.1.1/v1' });
  await adminOk(url, o.owner.key, 'PUT', `${p}/models`, { name: 'own-model', deployments: [{ provider: 'oa', model: 'upstream-gpt' }] });
  o.caller = await adminOk(url, o.owner.key, 'POST', `${p}/keys`, { project_id: o.project.id, name: 'k' });
  o.caller2 = await adminOk(url, o.owner.key, 'POST', `${p}/keys`, { project_id: o.project2.id, name: 'k2' });
  for (const [key, secret] of [[o.caller.key, o.providerSecret], [o.caller2.key, o.projectSecret]]) {
    const m = marker(label);
    const r = await waitFor(async () => {
      const res = await chat(url, key, m);
      return res.status === 401 ? null : res;
    }, { timeoutMs: 3000, what: `${label}'s caller key accepted` });
    assert.equal(r.status, 200, r.text);
    assert.equal(openai.keyOf(openai.requestsContaining(m)[0]), secret);
  }
}

// Development mode (no master key from outside), no caller key: the file works through the
// bootstrap admin key.
const fixture = useEnvironment({
  models: { 'gpt-test': STANDARD_MODELS['gpt-test'] }, keys: [], env: DEV_MODE_ENV, prefix: 'gatehouse-shred-',
});

before(async () => {
  ({ dir, dataDir, openai, gateway } = await fixture.ready());
  su = gateway.bootstrapKey;
  await populate(doomed, 'doomed');
  await populate(kept, 'kept');
  // The wrapped data key as stored, to look for it in the files after the deletion.
  const [row] = await sqliteRows(path.join(dataDir, 'keyring.db'),
    `SELECT hex(wrapped) AS wrapped FROM data_keys WHERE org_id = '${doomed.org.id}';`);
  doomed.wrapped = Buffer.from(row.wrapped, 'hex');
  assert.ok(doomed.wrapped.length >= 32);
  // The backup, taken online with SQLite's backup API.
  backupDb = path.join(dir, 'backup.db');
  await sqliteOk(path.join(dataDir, 'gatehouse.db'), `.backup '${backupDb}'\n`);
  const inBackup = await sqliteRows(backupDb, `SELECT count(*) AS n FROM provider_keys WHERE org_id = '${doomed.org.id}';`);
  assert.equal(inBackup[0].n, 2, 'the backup holds the organisation\'s sealed provider keys');
});

// The fixture stops the first gateway and the doubles; the restored one is this file's.
after(async () => {
  if (restored) await restored.stop();
});

test('only an owner (or the super-admin) may delete an organisation', async () => {
  const admin = await adminOk(gateway.url, doomed.owner.key, 'POST', `/orgs/${doomed.org.id}/admin-keys`, { name: 'a', role: 'admin' });
  const r = await adminApi(gateway.url, admin.key, 'DELETE', `/orgs/${doomed.org.id}`);
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json?.error?.type, 'permission_error');
  const other = await adminApi(gateway.url, kept.owner.key, 'DELETE', `/orgs/${doomed.org.id}`);
  assert.equal(other.status, 404, "another organisation's owner cannot even see it");
  assert.equal((await adminApi(gateway.url, su, 'GET', `/orgs/${doomed.org.id}`)).status, 200, 'still there');
});

test("deleting the organisation removes its rows and its data key, and the key's bytes from keyring.db and its log", async () => {
  const r = await adminApi(gateway.url, doomed.owner.key, 'DELETE', `/orgs/${doomed.org.id}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.deleted, true);

  const db = path.join(dataDir, 'gatehouse.db');
  for (const [table, column] of Object.entries(ORG_TABLES)) {
    const [{ n }] = await sqliteRows(db, `SELECT count(*) AS n FROM ${table} WHERE ${column} = '${doomed.org.id}';`);
    assert.equal(n, 0, `${table} has no rows of the deleted organisation`);
    if (table !== 'organizations' && table !== 'content_history') {
      const [{ k }] = await sqliteRows(db, `SELECT count(*) AS k FROM ${table} WHERE ${column} = '${kept.org.id}';`);
      assert.ok(k > 0, `${table} still has the other organisation's rows`);
    }
  }
  const keyring = path.join(dataDir, 'keyring.db');
  const keys = await sqliteRows(keyring, 'SELECT org_id FROM data_keys;');
  assert.ok(!keys.some((k) => k.org_id === doomed.org.id), 'the data key row is gone');
  assert.ok(keys.some((k) => k.org_id === kept.org.id), "the other organisation's data key stays");
  const files = rawDataDirFiles(dataDir);
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.startsWith('keyring.db')) continue;
    assert.equal(bytes.indexOf(doomed.wrapped), -1, `${name} still holds the wrapped data key's bytes`);
  }
  assert.equal(bytes(files, 'keyring.db').indexOf(Buffer.from(kept.org.id)) >= 0, true, 'sanity: the search sees live rows');

  // Its keys stop working: admin keys at once, caller keys within a second.
  const admin = await adminApi(gateway.url, doomed.owner.key, 'GET', '/me');
  assert.equal(admin.status, 401);
  assert.equal((await adminApi(gateway.url, su, 'GET', `/orgs/${doomed.org.id}`)).status, 404);
  await waitFor(async () => (await chat(gateway.url, doomed.caller.key, marker('gone'))).status === 401,
    { timeoutMs: 1500, what: "the deleted organisation's caller key refused" });
  const m = marker('kept-after');
  assert.equal((await chat(gateway.url, kept.caller.key, m)).status, 200, 'the other organisation still works');
  // The deletion is audited, in the instance chain too (entries outlive the organisation).
  const instance = await adminOk(gateway.url, su, 'GET', '/audit');
  assert.ok(instance.data.some((e) => e.action === 'org.delete' && e.target === doomed.org.id));
});

test("the deleted organisation's usage records are gone too", async () => {
  // Usage rows carry the organisation's key ids, projects, models and traffic pattern; no
  // foreign key removes them, and without their organisation they fall back to the 365-day
  // default retention.
  const db = path.join(dataDir, 'gatehouse.db');
  const [{ n }] = await sqliteRows(db, `SELECT count(*) AS n FROM usage_records WHERE org_id = '${doomed.org.id}';`);
  const [{ k }] = await sqliteRows(db, `SELECT count(*) AS k FROM usage_records WHERE org_id = '${kept.org.id}';`);
  assert.ok(k > 0, 'sanity: the other organisation has usage records');
  assert.equal(n, 0, `usage_records still holds ${n} rows of the deleted organisation`);
});

function bytes(files, name) {
  return files[name] ?? Buffer.alloc(0);
}

test('a pre-deletion backup restored next to the current keyring decrypts nothing of the deleted organisation', async () => {
  const exit = await gateway.stop();
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
  const fresh = path.join(dir, 'restored');
  copyDataDir(dataDir, fresh, ['keyring.db', 'keyring.db-wal', 'pepper', 'master.key']);
  fs.copyFileSync(backupDb, path.join(fresh, 'gatehouse.db'));
  const [{ n }] = await sqliteRows(path.join(fresh, 'gatehouse.db'),
    `SELECT count(*) AS n FROM caller_keys WHERE org_id = '${doomed.org.id}';`);
  assert.ok(n > 0, 'the restored database has the deleted organisation again');

  restored = await startGateway({
    config: baseConfig({ openai, dir, models: { 'gpt-test': [{ provider: 'oa', model: 'upstream-gpt' }] } }),
    dataDir: fresh, dir, env: { ...DEV_MODE_ENV, OA_KEY: openai.apiKey },
  });
  const seenBefore = openai.requests.length;
  for (const [key, label] of [[doomed.caller.key, 'org key'], [doomed.caller2.key, 'project key']]) {
    const m = marker('shredded');
    const r = await chat(restored.url, key, m);
    assert.equal(r.status, 502, `deleted organisation's caller (${label}) after restore: ${r.text}`);
    assert.equal(openai.requestsContaining(m).length, 0, 'nothing was forwarded (no fallback to another key)');
  }
  const upstreamSince = openai.requests.slice(seenBefore);
  for (const secret of [doomed.providerSecret, doomed.projectSecret]) {
    assert.ok(!upstreamSince.some((rec) => openai.keyOf(rec) === secret), 'the deleted provider key never reached the upstream');
  }
  assert.ok(!restored.output().includes(doomed.providerSecret) && !restored.output().includes(doomed.projectSecret));

  // The other organisation in the same backup works, with its own keys.
  for (const [key, secret] of [[kept.caller.key, kept.providerSecret], [kept.caller2.key, kept.projectSecret]]) {
    const m = marker('kept-restored');
    const r = await chat(restored.url, key, m);
    assert.equal(r.status, 200, r.text);
    assert.equal(openai.keyOf(openai.requestsContaining(m)[0]), secret);
  }
  const exitRestored = await restored.stop();
  assert.deepEqual({ code: exitRestored.code, signal: exitRestored.signal }, { code: 0, signal: null });
});
