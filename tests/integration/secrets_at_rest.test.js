// Secrets at rest: provider keys (added through the CLI and the admin API), caller keys, admin
// keys, the pepper and the master key never appear in gatehouse.db or keyring.db (SQL dumps and
// raw file bytes, write-ahead logs included), in list responses (which show last_four only), or
// in the server's and CLI's output (apart from the one-time reveal of a created key).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';

import {
  ADMIN_KEY_PATTERN,
  DEV_MODE_ENV,
  KEY_PATTERN,
  adminApi,
  adminOk,
  cliJson,
  cliOk,
  createKey,
  marker,
  openaiHeaders,
  rawDataDirFiles,
  rawRequest,
  randomSecret,
  runCli,
  secretEncodings,
  splitKey,
  sqliteOk,
  waitFor,
} from './lib/gatehouse.js';
import { STANDARD_MODELS, useEnvironment } from './lib/harness.js';

const s = {
  providerKeys: {}, // label -> key
  callerKeys: {}, // label -> {id, key, org}
  adminKeys: {}, // label -> key
  cliOutput: [], // {what, stdout, stderr, reveals: [key it is allowed to show]}
};
let dir;
let dataDir;
let openai;
let gateway;
let orgA;
let orgB;
let orgC;

async function cli(args, { input, reveals = [] } = {}) {
  // --config: the CLI must know the configured providers ("oa") the keys are for.
  const r = await runCli([...args, '--config', gateway.configFile, '--data-dir', dataDir], { env: DEV_MODE_ENV, input });
  s.cliOutput.push({ what: args.slice(0, 2).join(' '), stdout: r.stdout, stderr: r.stderr, reveals });
  assert.equal(r.code, 0, `gatehouse ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const chat = (key, m, extra = {}) => rawRequest(`${gateway.url}/v1/chat/completions`, {
  method: 'POST', headers: openaiHeaders(key),
  body: { model: 'gpt-test', messages: [{ role: 'user', content: `secrets ${m}` }], ...extra },
});

// Development mode (no master key from outside), no caller key: the file works through the
// bootstrap admin key.
const fixture = useEnvironment({
  models: { 'gpt-test': STANDARD_MODELS['gpt-test'] }, keys: [], env: DEV_MODE_ENV, prefix: 'gatehouse-secrets-',
});

before(async () => {
  ({ dir, dataDir, openai, gateway } = await fixture.ready());
  const su = gateway.bootstrapKey;
  assert.match(su ?? '', ADMIN_KEY_PATTERN, `bootstrap key on stdout: ${gateway.logs.stdout}`);
  s.adminKeys.bootstrap = su;
  const url = gateway.url;

  // Organisations: A through the API, B through the CLI, C for a key the upstream refuses.
  orgA = await adminOk(url, su, 'POST', '/orgs', { name: 'secrets-a' });
  orgB = JSON.parse(await cli(['orgs', 'create', '--name', 'secrets-b', '--json']));
  orgC = await adminOk(url, su, 'POST', '/orgs', { name: 'secrets-c' });
  const prjA = await adminOk(url, su, 'POST', `/orgs/${orgA.id}/projects`, { name: 'app' });
  const prjA2 = await adminOk(url, su, 'POST', `/orgs/${orgA.id}/projects`, { name: 'app2' });
  const prjB = JSON.parse(await cli(['projects', 'create', '--org', orgB.id, '--name', 'app', '--json']));
  const prjC = await adminOk(url, su, 'POST', `/orgs/${orgC.id}/projects`, { name: 'app' });

  // Admin keys: API (JSON reply) and CLI (plain: only the key on stdout).
  const adminA = await adminOk(url, su, 'POST', `/orgs/${orgA.id}/admin-keys`, { name: 'ops', role: 'admin' });
  s.adminKeys.a = adminA.key;
  const plainAdmin = await runCli(['admin-keys', 'create', '--org', orgB.id, '--role', 'owner', '--name', 'ops',
    '--data-dir', dataDir], { env: DEV_MODE_ENV });
  assert.equal(plainAdmin.code, 0, plainAdmin.stderr);
  s.adminKeys.b = plainAdmin.stdout.trim();
  s.cliOutput.push({ what: 'admin-keys create', stdout: plainAdmin.stdout, stderr: plainAdmin.stderr, reveals: [s.adminKeys.b] });
  const adminB2 = await cliJson(dataDir, ['admin-keys', 'create', '--org', orgB.id, '--role', 'viewer', '--name', 'ro'], { env: DEV_MODE_ENV });
  s.adminKeys.b2 = adminB2.key;
  for (const k of Object.values(s.adminKeys)) assert.match(k, ADMIN_KEY_PATTERN);

  // Provider keys: org-level and project-level through the API, stdin and --key-file through
  // the CLI, one for the default organisation, and one the upstream refuses.
  for (const label of ['a-org', 'a-project', 'b-stdin', 'b-file', 'default', 'c-refused']) {
    s.providerKeys[label] = randomSecret('sk-live-', 40);
  }
  for (const [label, key] of Object.entries(s.providerKeys)) if (label !== 'c-refused') openai.acceptKey(key);
  await adminOk(url, adminA.key, 'POST', `/orgs/${orgA.id}/provider-keys`,
    { provider: 'oa', name: 'a-org', key: s.providerKeys['a-org'] });
  await adminOk(url, adminA.key, 'POST', `/orgs/${orgA.id}/provider-keys`,
    { provider: 'oa', name: 'a-project', key: s.providerKeys['a-project'], project_id: prjA2.id });
  await cli(['providers', 'add-key', '--org', orgB.id, '--provider', 'oa', '--name', 'b-stdin', '--project', prjB.id],
    { input: `${s.providerKeys['b-stdin']}\n` });
  const keyFile = path.join(dir, 'provider.key');
  fs.writeFileSync(keyFile, `${s.providerKeys['b-file']}\n`, { mode: 0o600 });
  await cli(['providers', 'add-key', '--org', orgB.id, '--provider', 'oa', '--name', 'b-file', '--key-file', keyFile, '--json']);
  fs.rmSync(keyFile);
  await cli(['providers', 'add-key', '--provider', 'oa', '--name', 'default'], { input: s.providerKeys.default });
  await adminOk(url, su, 'POST', `/orgs/${orgC.id}/provider-keys`,
    { provider: 'oa', name: 'c', key: s.providerKeys['c-refused'] });

  // Caller keys: API and CLI, in each organisation and project.
  const apiKey = async (label, org, project) => {
    const k = await adminOk(url, su, 'POST', `/orgs/${org.id}/keys`, { project_id: project.id, name: label });
    s.callerKeys[label] = { id: k.id, key: k.key, org: org.id };
  };
  await apiKey('a1', orgA, prjA);
  await apiKey('a2', orgA, prjA2);
  await apiKey('c1', orgC, prjC);
  const b1 = await createKey(dataDir, 'b1', { org: orgB.id, project: prjB.id, env: DEV_MODE_ENV });
  s.callerKeys.b1 = { id: b1.id, key: b1.key, org: orgB.id };
  const plainKey = await runCli(['keys', 'create', '--name', 'd1', '--data-dir', dataDir], { env: DEV_MODE_ENV });
  assert.equal(plainKey.code, 0, plainKey.stderr);
  s.callerKeys.d1 = { id: null, key: plainKey.stdout.trim(), org: 'org_default' };
  s.cliOutput.push({ what: 'keys create', stdout: plainKey.stdout, stderr: plainKey.stderr, reveals: [s.callerKeys.d1.key] });
  const rotated = await adminOk(url, su, 'POST', `/orgs/${orgA.id}/keys/${s.callerKeys.a1.id}/rotate`, { overlap_seconds: 600 });
  s.callerKeys['a1-rotated'] = { id: rotated.id, key: rotated.key, org: orgA.id };
  for (const k of Object.values(s.callerKeys)) assert.match(k.key, KEY_PATTERN);

  // Data-plane traffic with every key (the server picks new keys up within a second).
  const expectedUpstreamKey = {
    a1: 'a-org', 'a1-rotated': 'a-org', a2: 'a-project', b1: 'b-stdin', d1: 'default',
  };
  for (const [label, providerLabel] of Object.entries(expectedUpstreamKey)) {
    const m = marker(label);
    const r = await waitFor(async () => {
      const res = await chat(s.callerKeys[label].key, m);
      return res.status === 401 ? null : res;
    }, { timeoutMs: 3000, what: `caller key ${label} accepted` });
    assert.equal(r.status, 200, `${label}: ${r.text}`);
    const [seen] = openai.requestsContaining(m);
    assert.equal(openai.keyOf(seen), s.providerKeys[providerLabel], `${label} is forwarded with ${providerLabel}`);
    const st = await chat(s.callerKeys[label].key, marker(label), { stream: true, stream_options: { include_usage: true } });
    assert.equal(st.status, 200);
  }
  // The refused provider key: the upstream's 401 comes back as an error, and is logged.
  const refused = await waitFor(async () => {
    const res = await chat(s.callerKeys.c1.key, marker('c1'));
    return res.status === 401 ? null : res;
  }, { timeoutMs: 3000, what: 'caller key c1 accepted' });
  assert.ok(refused.status >= 400, `an upstream-refused provider key gives an error: ${refused.status}`);
  // Failed admin logins with near-miss keys.
  for (const k of Object.values(s.adminKeys)) {
    const r = await adminApi(url, `${k.slice(0, -8)}AAAAAAAA`, 'GET', '/me');
    assert.equal(r.status, 401);
  }
});

/** Every secret this file made, with a label, in the forms worth searching for. */
function secrets({ withBootstrap = true } = {}) {
  const out = [];
  for (const [label, key] of Object.entries(s.providerKeys)) out.push([`provider key ${label}`, key]);
  for (const [label, { key }] of Object.entries(s.callerKeys)) {
    out.push([`caller key ${label}`, key]);
    out.push([`caller key ${label} secret part`, splitKey(key).secret]);
  }
  for (const [label, key] of Object.entries(s.adminKeys)) {
    if (label === 'bootstrap' && !withBootstrap) continue;
    out.push([`admin key ${label}`, key]);
    out.push([`admin key ${label} secret part`, splitKey(key).secret]);
  }
  out.push(['pepper', fs.readFileSync(path.join(dataDir, 'pepper'), 'utf8').trim()]);
  out.push(['master key', fs.readFileSync(path.join(dataDir, 'master.key'), 'utf8').trim()]);
  for (const [label, value] of out) assert.ok(value.length >= 32, `${label} is long enough to search for`);
  return out;
}

function assertNoSecretsInText(where, text, list = secrets()) {
  const lower = text.toLowerCase();
  for (const [label, value] of list) {
    assert.ok(!text.includes(value), `${where} contains the ${label}`);
    const hex = Buffer.from(value, 'utf8').toString('hex');
    assert.ok(!lower.includes(hex), `${where} contains the ${label} hex-encoded`);
  }
}

function assertNoSecretsInBytes(where, bytes, list = secrets()) {
  for (const [label, value] of list) {
    for (const [encoding, needle] of secretEncodings(value)) {
      assert.equal(bytes.indexOf(needle), -1, `${where} contains the ${label} (${encoding})`);
    }
  }
}

test('the data dir has its databases and secrets files; the secrets files are 0600', () => {
  for (const name of ['gatehouse.db', 'keyring.db', 'pepper', 'master.key']) {
    const st = fs.statSync(path.join(dataDir, name));
    assert.ok(st.isFile(), name);
    if (name === 'pepper' || name === 'master.key') assert.equal(st.mode & 0o777, 0o600, `${name} mode`);
  }
});

test('list and get responses (API and CLI) show last_four, never a provider key or any caller/admin key', async () => {
  const url = gateway.url;
  const su = s.adminKeys.bootstrap;
  const lists = [];
  const apiList = await adminOk(url, s.adminKeys.a, 'GET', `/orgs/${orgA.id}/provider-keys`);
  lists.push(['API provider-keys A', apiList]);
  const byName = Object.fromEntries(apiList.data.map((k) => [k.name, k]));
  assert.equal(byName['a-org']?.last_four, s.providerKeys['a-org'].slice(-4));
  assert.equal(byName['a-project']?.last_four, s.providerKeys['a-project'].slice(-4));
  const one = await adminOk(url, s.adminKeys.a, 'GET', `/orgs/${orgA.id}/provider-keys/${byName['a-org'].id}`);
  lists.push(['API provider-key get', one]);
  assert.equal(one.last_four, s.providerKeys['a-org'].slice(-4));
  assert.ok(!('key' in one) && !('ciphertext' in one), `no key fields: ${JSON.stringify(one)}`);

  const cliList = await cliJson(dataDir, ['providers', 'keys', '--org', orgB.id], { env: DEV_MODE_ENV });
  lists.push(['CLI providers keys B', cliList]);
  const cliByName = Object.fromEntries(cliList.data.map((k) => [k.name, k]));
  assert.equal(cliByName['b-stdin']?.last_four, s.providerKeys['b-stdin'].slice(-4));
  assert.equal(cliByName['b-file']?.last_four, s.providerKeys['b-file'].slice(-4),
    'the --key-file key lost its trailing newline before last_four was taken');
  const human = await cliOk(['providers', 'keys', '--org', orgB.id, '--data-dir', dataDir], { env: DEV_MODE_ENV });
  lists.push(['CLI providers keys (human)', human]);
  assert.ok(human.includes(s.providerKeys['b-stdin'].slice(-4)));
  const defaultList = await cliJson(dataDir, ['providers', 'keys'], { env: DEV_MODE_ENV });
  lists.push(['CLI providers keys default', defaultList]);
  assert.equal(defaultList.data.find((k) => k.name === 'default')?.last_four, s.providerKeys.default.slice(-4));

  lists.push(['API keys A', await adminOk(url, su, 'GET', `/orgs/${orgA.id}/keys`)]);
  lists.push(['API key get', await adminOk(url, su, 'GET', `/orgs/${orgA.id}/keys/${s.callerKeys.a1.id}`)]);
  lists.push(['CLI keys B', await cliJson(dataDir, ['keys', 'list', '--org', orgB.id], { env: DEV_MODE_ENV })]);
  lists.push(['API admin-keys A', await adminOk(url, su, 'GET', `/orgs/${orgA.id}/admin-keys`)]);
  lists.push(['CLI admin-keys B', await cliJson(dataDir, ['admin-keys', 'list', '--org', orgB.id], { env: DEV_MODE_ENV })]);
  lists.push(['API orgs', await adminOk(url, su, 'GET', '/orgs')]);
  lists.push(['API me', await adminOk(url, s.adminKeys.a, 'GET', '/me')]);
  lists.push(['API audit A', await adminOk(url, su, 'GET', `/orgs/${orgA.id}/audit`)]);
  lists.push(['API audit instance', await adminOk(url, su, 'GET', '/audit')]);
  const auditExport = await adminApi(url, su, 'GET', `/orgs/${orgB.id}/audit/export?format=jsonl`);
  assert.equal(auditExport.status, 200);
  lists.push(['API audit export B', auditExport.text]);
  const usage = await adminApi(url, su, 'GET', `/orgs/${orgA.id}/usage?format=csv`);
  assert.equal(usage.status, 200);
  lists.push(['API usage A', usage.text]);

  for (const [where, value] of lists) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    assertNoSecretsInText(where, text);
    assert.ok(!/gtk_[0-9A-Za-z]{20}/.test(text) && !/gha_[0-9A-Za-z]{20}/.test(text), `${where} shows a key: ${text}`);
  }
});

test('positive control: the searches find a secret stored as text or as a blob', async () => {
  const scratch = path.join(dir, 'scratch.db');
  const key = s.providerKeys['a-org'];
  const hex = Buffer.from(key, 'utf8').toString('hex');
  await sqliteOk(scratch, `CREATE TABLE t (a TEXT, b BLOB); INSERT INTO t VALUES ('x', X'${hex}');\n`);
  const dump = await sqliteOk(scratch, '.dump\n');
  assert.throws(() => assertNoSecretsInText('scratch dump', dump), /provider key a-org hex-encoded/);
  assert.throws(() => assertNoSecretsInBytes('scratch raw', fs.readFileSync(scratch)), /provider key a-org \(utf8\)/);
  assert.throws(() => assertNoSecretsInText('text', `...${splitKey(s.callerKeys.b1.key).secret}...`), /secret part/);
  fs.rmSync(scratch);
});

test('SQL dumps of gatehouse.db and keyring.db (read while the server runs) hold no secret', async () => {
  for (const db of ['gatehouse.db', 'keyring.db']) {
    const dump = await sqliteOk(path.join(dataDir, db), '.dump\n');
    assert.ok(dump.includes('CREATE TABLE'), `${db} dumped`);
    assertNoSecretsInText(`${db} .dump`, dump);
  }
  // The rows that should be there are: sealed provider keys with last_four, hashed keys.
  const dump = await sqliteOk(path.join(dataDir, 'gatehouse.db'), '.dump provider_keys\n');
  for (const key of Object.values(s.providerKeys)) assert.ok(dump.includes(`'${key.slice(-4)}'`), 'last_four is stored');
  const keyring = await sqliteOk(path.join(dataDir, 'keyring.db'), 'SELECT org_id FROM data_keys ORDER BY org_id;\n');
  for (const org of [orgA.id, orgB.id, orgC.id, 'org_default']) assert.ok(keyring.includes(org), `${org} has a data key`);
});

test('raw bytes of every file in the data dir (databases and write-ahead logs) hold no secret, live and after stop', async () => {
  const secretFiles = new Set(['pepper', 'master.key']);
  const live = rawDataDirFiles(dataDir);
  assert.ok(live['gatehouse.db'] && live['keyring.db']);
  for (const [name, bytes] of Object.entries(live)) {
    if (secretFiles.has(name)) continue;
    assertNoSecretsInBytes(`${name} (server running)`, bytes);
  }
  const exit = await gateway.stop();
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
  const stopped = rawDataDirFiles(dataDir);
  for (const [name, bytes] of Object.entries(stopped)) {
    if (secretFiles.has(name)) continue;
    assertNoSecretsInBytes(`${name} (server stopped)`, bytes);
  }
});

test('server output never holds a secret; the bootstrap key appears exactly once, on stdout', async () => {
  await gateway.stop();
  const { stdout, stderr } = gateway.logs;
  const su = s.adminKeys.bootstrap;
  assert.equal(stdout.split(su).length - 1, 1, 'the bootstrap key is printed once');
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.includes(su));
  assert.match(lines[at - 1], /^Bootstrap super-admin key \(shown only this once/);
  assert.equal(lines[at].trim(), su, 'the key is alone on its line');
  assert.ok(!stderr.includes(su), 'the bootstrap key is not on stderr');
  const withoutBootstrap = stdout.split(su).join('<bootstrap>');
  assertNoSecretsInText('server stdout', withoutBootstrap);
  assertNoSecretsInText('server stderr', stderr);
});

test('CLI output holds no secret except the one key a create command reveals', () => {
  for (const { what, stdout, stderr, reveals } of s.cliOutput) {
    let out = stdout;
    for (const r of reveals) out = out.split(r).join('<revealed>');
    assertNoSecretsInText(`CLI ${what} stdout`, out);
    assertNoSecretsInText(`CLI ${what} stderr`, stderr);
  }
});
