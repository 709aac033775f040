// The audit trail: audited admin actions form per-organisation hash chains that `audit verify`
// accepts; edits, deletions, reorders and a dropped tail (done with raw SQLite access after
// dropping the append-only triggers, on copies of a stopped data dir) are each caught and
// located; the triggers stop plain UPDATE/DELETE; exports carry the hashes (recomputed here
// from the exported fields) and are audited themselves; a burst of failed admin logins leaves
// one auth.failed_burst entry in the instance chain.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { before, test } from 'node:test';

import {
  DEV_MODE_ENV,
  adminApi,
  adminOk,
  copyDataDir,
  parseCsv,
  parseJsonl,
  randomBase62,
  randomSecret,
  runCli,
  sqlite,
  sqliteOk,
  sqliteRows,
} from './lib/gatehouse.js';
import { STANDARD_MODELS, useEnvironment } from './lib/harness.js';

let dir;
let dataDir;
let gateway;
let su;
let org;
let orgAdmin;
let orgAdminId;

const cli = (args, data = dataDir) => runCli([...args, '--data-dir', data], { env: DEV_MODE_ENV });

async function verifyJson(data) {
  const r = await cli(['audit', 'verify', '--json'], data);
  let report;
  try { report = JSON.parse(r.stdout); } catch { report = undefined; }
  return { code: r.code, report, stdout: r.stdout, stderr: r.stderr };
}

// Development mode (no master key from outside), no caller key: the file works through the
// bootstrap admin key.
const fixture = useEnvironment({
  models: { 'gpt-test': STANDARD_MODELS['gpt-test'] }, keys: [], env: DEV_MODE_ENV, prefix: 'gatehouse-audit-',
});

before(async () => {
  ({ dir, dataDir, gateway } = await fixture.ready());
  su = gateway.bootstrapKey;
  assert.ok(su, 'bootstrap key printed');
  const url = gateway.url;
  // A series of audited actions in one organisation (through the API and the CLI).
  org = await adminOk(url, su, 'POST', '/orgs', { name: 'audited' });
  const o = `/orgs/${org.id}`;
  const admin = await adminOk(url, su, 'POST', `${o}/admin-keys`, { name: 'ops', role: 'admin' });
  orgAdmin = admin.key;
  orgAdminId = admin.id;
  const project = await adminOk(url, orgAdmin, 'POST', `${o}/projects`, { name: 'p' });
  await adminOk(url, orgAdmin, 'POST', `${o}/members`, { email: 'dana@audited.example', name: 'Dana', role: 'member' });
  const key = await adminOk(url, orgAdmin, 'POST', `${o}/keys`, { project_id: project.id, name: 'k1' });
  await adminOk(url, orgAdmin, 'POST', `${o}/provider-keys`, { provider: 'oa', name: 'pk', key: randomSecret() });
  await adminOk(url, orgAdmin, 'PATCH', o, { audit_retention_days: 400 });
  await adminOk(url, orgAdmin, 'DELETE', `${o}/keys/${key.id}`);
  const viaCli = await cli(['projects', 'create', '--org', org.id, '--name', 'from-cli', '--json']);
  assert.equal(viaCli.code, 0, viaCli.stderr);
  const cliKey = await cli(['keys', 'create', '--org', org.id, '--project', project.id, '--name', 'k2', '--json']);
  assert.equal(cliKey.code, 0, cliKey.stderr);
  await adminOk(url, orgAdmin, 'PUT', `${o}/models`, { name: 'm', deployments: [{ provider: 'oa', model: 'upstream-gpt' }] });
});

// --- Recomputing an entry's hash from an export line (the documented canonical encoding) -----

function u64(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(n)));
  return b;
}
const field = (v) => {
  const b = Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');
  return Buffer.concat([u64(b.length), b]);
};
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
const genesis = (chain) => sha256(Buffer.from(`gatehouse/audit/genesis|${chain}`, 'utf8')).toString('hex');
function entryHash(e) {
  return sha256(Buffer.concat([
    field('gatehouse/audit/entry/v1'), field(e.chain), u64(e.seq), u64(e.created_at), field(e.actor),
    field(e.action), field(e.target), field(e.outcome), field(e.source_ip), field(e.request_id),
    field(typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)), field(Buffer.from(e.prev_hash, 'hex')),
  ])).toString('hex');
}

function assertChainExport(entries, chain, label) {
  assert.ok(entries.length > 0, `${label}: has entries`);
  let prev = genesis(chain);
  entries.forEach((e, i) => {
    assert.equal(e.chain, chain, `${label}: chain`);
    assert.equal(e.seq, i + 1, `${label}: seq ${i + 1} in order`);
    assert.match(e.hash, /^[0-9a-f]{64}$/, `${label}: hash is hex`);
    assert.equal(e.prev_hash, prev, `${label}: entry ${e.seq} links to its predecessor`);
    assert.equal(entryHash(e), e.hash, `${label}: entry ${e.seq}'s hash is the hash of its exported fields`);
    prev = e.hash;
  });
}

const ACTIONS = ['org.create', 'admin_key.create', 'project.create', 'member.add', 'caller_key.create',
  'provider_key.add', 'settings.update', 'caller_key.revoke', 'model.put'];

test('the admin API and CLI actions are in the organisation chain, and audit verify passes', async () => {
  const list = await adminOk(gateway.url, orgAdmin, 'GET', `/orgs/${org.id}/audit?limit=1000`);
  const actions = list.data.map((e) => e.action);
  for (const a of ACTIONS) assert.ok(actions.includes(a), `${a} audited: ${actions.join(', ')}`);
  assert.equal(actions.filter((a) => a === 'project.create').length, 2, 'the CLI-created project too');
  const cliEntry = list.data.find((e) => e.actor === 'cli');
  assert.ok(cliEntry, 'CLI actions are audited with actor "cli"');
  assert.ok(list.data.some((e) => e.actor === `admin_key:${orgAdminId}`), 'API actions name the admin key');
  for (const e of list.data) {
    assert.equal(e.org_id, org.id);
    assert.match(e.hash, /^[0-9a-f]{64}$/);
    assert.match(e.prev_hash, /^[0-9a-f]{64}$/);
  }
  const seqs = list.data.map((e) => e.seq).sort((x, y) => x - y);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'seq runs 1..n');
  const api = await adminOk(gateway.url, su, 'GET', '/audit/verify');
  assert.equal(api.ok, true, JSON.stringify(api));

  const r = await verifyJson(dataDir);
  assert.equal(r.code, 0, `audit verify exit: ${r.stdout} ${r.stderr}`);
  assert.equal(r.report.ok, true);
  assert.ok(r.report.chains >= 2, 'the instance chain and the organisation chain');
  assert.ok(r.report.entries >= ACTIONS.length + 2);
  const human = await cli(['audit', 'verify']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /verified/);
});

test('API actions are audited with the caller\'s address and the request id', async () => {
  const r = await adminApi(gateway.url, orgAdmin, 'POST', `/orgs/${org.id}/projects`, { name: 'traced' });
  assert.equal(r.status, 201, r.text);
  const list = await adminOk(gateway.url, orgAdmin, 'GET', `/orgs/${org.id}/audit`);
  const entry = list.data.find((e) => e.action === 'project.create' && e.target === r.json.id);
  assert.ok(entry, 'the project.create entry');
  assert.equal(entry.request_id, r.headers['x-request-id'], 'request_id is the response x-request-id');
  assert.match(entry.source_ip, /^(::ffff:)?127\.0\.0\.1$/, `source_ip: ${JSON.stringify(entry)}`);
  const cliEntry = list.data.find((e) => e.actor === 'cli');
  assert.equal(cliEntry.source_ip, 'local');
});

test('exports (CLI and API, jsonl and csv) carry every action with hashes that check out, and are audited', async () => {
  const cliExport = await cli(['audit', 'export', '--format', 'jsonl', '--org', org.id]);
  assert.equal(cliExport.code, 0, cliExport.stderr);
  const viaCli = parseJsonl(cliExport.stdout);
  for (const a of ACTIONS) assert.ok(viaCli.some((e) => e.action === a), `CLI export has ${a}`);
  assertChainExport(viaCli, org.id, 'CLI jsonl export');

  const res = await adminApi(gateway.url, orgAdmin, 'GET', `/orgs/${org.id}/audit/export?format=jsonl`);
  assert.equal(res.status, 200, res.text);
  const viaApi = parseJsonl(res.text);
  assertChainExport(viaApi, org.id, 'API jsonl export');
  // The CLI export was itself audited, so the API export has one more entry: audit.export by cli.
  const exportEntry = viaApi.find((e) => e.action === 'audit.export' && e.actor === 'cli');
  assert.ok(exportEntry, 'the CLI export is audited');
  assert.equal(viaApi.length, viaCli.length + 1);
  assert.deepEqual(viaApi.slice(0, viaCli.length), viaCli, 'the same entries, byte for byte');

  const after = await adminOk(gateway.url, orgAdmin, 'GET', `/orgs/${org.id}/audit`);
  const apiExport = after.data.find((e) => e.action === 'audit.export' && e.actor === `admin_key:${orgAdminId}`);
  assert.ok(apiExport, 'the API export is audited with its admin key');
  assert.equal(apiExport.detail?.entries, viaApi.length);

  const csv = await adminApi(gateway.url, orgAdmin, 'GET', `/orgs/${org.id}/audit/export?format=csv`);
  assert.equal(csv.status, 200);
  const rows = parseCsv(csv.text);
  const header = rows[0];
  for (const col of ['chain', 'seq', 'action', 'prev_hash', 'hash']) assert.ok(header.includes(col), `csv has ${col}`);
  const hashAt = header.indexOf('hash');
  const actionAt = header.indexOf('action');
  for (const e of viaApi) {
    assert.ok(rows.some((row) => row[hashAt] === e.hash && row[actionAt] === e.action), `csv row for seq ${e.seq}`);
  }

  // The instance chain: super-admin only, and an org key cannot read it.
  const instance = await cli(['audit', 'export', '--format', 'jsonl', '--org', '']);
  assert.equal(instance.code, 0, instance.stderr);
  const instanceEntries = parseJsonl(instance.stdout);
  assertChainExport(instanceEntries, '', 'instance chain export');
  assert.ok(instanceEntries.some((e) => e.action === 'admin_key.bootstrap'));
  assert.ok(instanceEntries.some((e) => e.action === 'org.create' && e.target === org.id));
  const refused = await adminApi(gateway.url, orgAdmin, 'GET', '/audit/export?format=jsonl');
  assert.notEqual(refused.status, 200);
});

const burstsNow = async () => (await adminOk(gateway.url, su, 'GET', '/audit?limit=1000')).data
  .filter((e) => e.action === 'auth.failed_burst');

test('10 failed admin logins from one address leave exactly one auth.failed_burst entry in the instance chain', async () => {
  const before = (await burstsNow()).length;
  const realId = orgAdmin.slice(4, 20);
  const bad = [
    ...Array.from({ length: 5 }, () => `gha_${randomBase62(65)}`),
    `gha_${realId}${randomBase62(49)}`, `gha_${realId}${randomBase62(49)}`,
    'gha_short', `gtk_${randomBase62(65)}`, null,
  ];
  assert.equal(bad.length, 10);
  for (const [i, key] of bad.entries()) {
    const r = await adminApi(gateway.url, key, 'GET', `/orgs/${org.id}/keys`, undefined, { localAddress: '127.0.0.1' });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json?.error?.type, 'authentication_error');
    if (i === 8) assert.equal((await burstsNow()).length, before, 'nothing after 9 failures');
  }
  const bursts = await burstsNow();
  assert.equal(bursts.length, before + 1, 'one entry for the burst, not one per failure');
  const burst = bursts[0];
  assert.equal(burst.outcome, 'denied');
  assert.equal(burst.actor, 'anonymous');
  assert.equal(burst.detail?.failures, 10);
  assert.equal(burst.org_id, '', 'in the instance chain');
  // More failures inside the same window do not add entries.
  for (let i = 0; i < 5; i++) {
    assert.equal((await adminApi(gateway.url, `gha_${randomBase62(65)}`, 'GET', '/me', undefined, { localAddress: '127.0.0.1' })).status, 401);
  }
  assert.equal((await burstsNow()).length, before + 1);
  const orgChain = await adminOk(gateway.url, orgAdmin, 'GET', `/orgs/${org.id}/audit?limit=1000`);
  assert.ok(!orgChain.data.some((e) => e.action === 'auth.failed_burst'), 'not in the organisation chain');
  assert.match(burst.source_ip, /^(::ffff:)?127\.0\.0\.1$/, `the burst names the address: ${JSON.stringify(burst)}`);
});

test('failed admin logins are counted per address: another address gets its own burst entry', async () => {
  const before = (await burstsNow()).length;
  for (let i = 0; i < 10; i++) {
    const r = await adminApi(gateway.url, `gha_${randomBase62(65)}`, 'GET', '/me', undefined, { localAddress: '127.0.0.3' });
    assert.equal(r.status, 401);
  }
  const bursts = await burstsNow();
  assert.equal(bursts.length, before + 1, "127.0.0.3's ten failures are a burst of their own");
  assert.match(bursts[0].source_ip, /^(::ffff:)?127\.0\.0\.3$/, JSON.stringify(bursts[0]));
});

// --- Tampering, on copies of the stopped data dir --------------------------------------------

let stoppedOnce;
async function stopped() {
  stoppedOnce ??= (async () => {
    const exit = await gateway.stop();
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
  })();
  return stoppedOnce;
}

let copies = 0;
async function tamperedCopy(sql, { dropTriggers = true } = {}) {
  await stopped();
  const copy = copyDataDir(dataDir, path.join(dir, `copy-${++copies}`));
  const drop = dropTriggers ? 'DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;\n' : '';
  await sqliteOk(path.join(copy, 'gatehouse.db'), `${drop}${sql}\n`);
  return copy;
}

async function chainRows(data, chain) {
  return sqliteRows(path.join(data, 'gatehouse.db'),
    `SELECT id, seq, action, actor FROM audit_log WHERE chain = '${chain}' ORDER BY seq;`);
}

function assertTampered(r, chain, label) {
  assert.equal(r.code, 1, `${label}: audit verify exits 1 (stdout ${r.stdout} stderr ${r.stderr})`);
  assert.ok(r.report, `${label}: JSON report: ${r.stdout}`);
  assert.equal(r.report.ok, false, label);
  assert.equal(r.report.bad_chain, chain, `${label}: names the chain`);
  assert.equal(typeof r.report.problem, 'string');
  assert.ok(r.report.problem.length > 0);
}

test('the untampered copy verifies; the triggers stop a plain UPDATE and DELETE', async () => {
  await stopped();
  const original = await verifyJson(dataDir);
  assert.equal(original.code, 0, original.stdout);
  const copy = copyDataDir(dataDir, path.join(dir, `copy-${++copies}`));
  assert.equal((await verifyJson(copy)).code, 0, 'a copy of the data dir verifies (the copy is complete)');
  const db = path.join(copy, 'gatehouse.db');
  const upd = await sqlite(db, `UPDATE audit_log SET actor = 'mallory' WHERE chain = '${org.id}' AND seq = 2;\n`);
  assert.notEqual(upd.code, 0, 'UPDATE refused');
  assert.match(upd.stderr, /append-only/);
  const del = await sqlite(db, `DELETE FROM audit_log WHERE chain = '${org.id}' AND seq = 2;\n`);
  assert.notEqual(del.code, 0, 'DELETE refused');
  assert.match(del.stderr, /append-only/);
  const delAll = await sqlite(db, 'DELETE FROM audit_log;\n');
  assert.notEqual(delAll.code, 0);
  const rows = await chainRows(copy, org.id);
  assert.ok(!rows.some((r) => r.actor === 'mallory'));
  assert.equal((await verifyJson(copy)).code, 0, 'still intact');
  const triggers = await sqliteOk(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name;\n");
  assert.match(triggers, /audit_log_no_delete/);
  assert.match(triggers, /audit_log_no_update/);
});

test('(a) editing one field of a middle entry is caught at that entry', async () => {
  await stopped();
  const rows = await chainRows(dataDir, org.id);
  assert.ok(rows.length >= 8, `enough entries: ${rows.length}`);
  const mid = rows[Math.floor(rows.length / 2)].seq;
  const edits = {
    actor: "actor = 'admin_key:someone-else'",
    action: "action = 'member.remove'",
    target: "target = 'usr_forged'",
    outcome: "outcome = 'denied'",
    created_at: 'created_at = created_at + 1',
    detail: `detail = '{"role":"owner"}'`,
    source_ip: "source_ip = '10.9.9.9'",
    hash: "hash = randomblob(32)",
  };
  for (const [name, set] of Object.entries(edits)) {
    const copy = await tamperedCopy(`UPDATE audit_log SET ${set} WHERE chain = '${org.id}' AND seq = ${mid};`);
    const r = await verifyJson(copy);
    assertTampered(r, org.id, `edit ${name}`);
    assert.equal(r.report.bad_seq, mid, `edit ${name}: the first bad entry is ${mid}: ${JSON.stringify(r.report)}`);
    assert.match(r.report.problem, /modified/, `edit ${name}`);
  }
  // Editing prev_hash (re-pointing the link) is caught at that entry too.
  const relink = await tamperedCopy(`UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE chain = '${org.id}' AND seq = 1) WHERE chain = '${org.id}' AND seq = ${mid};`);
  const r = await verifyJson(relink);
  assertTampered(r, org.id, 'edit prev_hash');
  assert.equal(r.report.bad_seq, mid);
  const human = await cli(['audit', 'verify'], relink);
  assert.equal(human.code, 1);
  assert.match(human.stdout, /TAMPERED/);
  assert.ok(human.stdout.includes(org.id));
});

test('(b) deleting a middle entry is caught as that entry missing', async () => {
  await stopped();
  const rows = await chainRows(dataDir, org.id);
  const mid = rows[Math.floor(rows.length / 2)].seq;
  const copy = await tamperedCopy(`DELETE FROM audit_log WHERE chain = '${org.id}' AND seq = ${mid};`);
  const r = await verifyJson(copy);
  assertTampered(r, org.id, 'delete middle');
  assert.equal(r.report.bad_seq, mid, JSON.stringify(r.report));
  assert.match(r.report.problem, /missing/);
});

test('(c) swapping the seq values of two entries (a reorder) is caught', async () => {
  await stopped();
  const rows = await chainRows(dataDir, org.id);
  const i = Math.floor(rows.length / 2);
  const [x, y] = [rows[i], rows[i + 1]];
  const copy = await tamperedCopy([
    `UPDATE audit_log SET seq = -1 WHERE id = ${x.id};`,
    `UPDATE audit_log SET seq = ${x.seq} WHERE id = ${y.id};`,
    `UPDATE audit_log SET seq = ${y.seq} WHERE id = ${x.id};`,
  ].join('\n'));
  const swapped = await chainRows(copy, org.id);
  assert.equal(swapped.find((r) => r.id === x.id).seq, y.seq, 'the swap happened');
  const r = await verifyJson(copy);
  assertTampered(r, org.id, 'swap');
  // The first bad entry in append order is row x, which now claims y's seq.
  assert.equal(r.report.bad_id, x.id, JSON.stringify(r.report));
  assert.ok([x.seq, y.seq].includes(r.report.bad_seq), JSON.stringify(r.report));
  assert.match(r.report.problem, /order/);
});

test('(d) deleting the newest entry is caught by the chain head', async () => {
  await stopped();
  const rows = await chainRows(dataDir, org.id);
  const last = rows.at(-1);
  const copy = await tamperedCopy(`DELETE FROM audit_log WHERE id = ${last.id};`);
  const r = await verifyJson(copy);
  assertTampered(r, org.id, 'delete newest');
  assert.match(r.report.problem, /head/, JSON.stringify(r.report));
  // A recomputed tail cannot fake the head either: drop the newest entry and its head row too.
  const headless = await tamperedCopy(`DELETE FROM audit_log WHERE id = ${last.id}; DELETE FROM audit_heads WHERE chain = '${org.id}';`);
  const h = await verifyJson(headless);
  assertTampered(h, org.id, 'delete newest and the head');
  assert.match(h.report.problem, /head/);
});

test('tampering with the instance chain names the instance chain ("")', async () => {
  await stopped();
  const rows = await chainRows(dataDir, '');
  assert.ok(rows.length >= 3, `instance chain entries: ${rows.length}`);
  const copy = await tamperedCopy(`UPDATE audit_log SET action = 'nothing' WHERE chain = '' AND seq = 2;`);
  const r = await verifyJson(copy);
  assertTampered(r, '', 'instance chain edit');
  assert.equal(r.report.bad_seq, 2);
  // Other chains are still counted and the organisation chain on its own is fine.
  assert.ok(r.report.chains >= 2);
});
