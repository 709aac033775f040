// The master key: an online rotation (`gatehouse master-key rotate`) while wrk drives the data
// plane drops no request; after a restart with only the new key every organisation's provider
// key still decrypts and the audit trail verifies, while the old key alone no longer opens the
// keyring. Production mode refuses to start without a master key; development mode generates a
// 0600 master.key and warns on every start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startOpenAIDouble } from './doubles/openai_double.js';
import {
  DEV_MODE_ENV,
  REPO_ROOT,
  adminApi,
  adminOk,
  baseConfig,
  makeTempDir,
  marker,
  openaiHeaders,
  randomSecret,
  rawRequest,
  removeTempDir,
  renderToml,
  runCli,
  sqliteRows,
  startGateway,
  waitFor,
} from './lib/gatehouse.js';

let dir;
let dataDir;
let openai;
let gateway;
let config;
let oldKeyFile;
let newKeyFile;
let oldKey;
let newKey;
const orgs = {}; // label -> {org, callerKey, providerSecret}
let defaultCaller;
const running = new Set();

const keyEnv = (file) => ({ ...DEV_MODE_ENV, GATEHOUSE_MASTER_KEY_FILE: file, OA_KEY: openai.apiKey });
const cli = (args, env) => runCli([...args, '--config', gateway.configFile, '--data-dir', dataDir], { env, timeoutMs: 20000 });

const chat = (url, key, m) => rawRequest(`${url}/v1/chat/completions`, {
  method: 'POST', headers: openaiHeaders(key),
  body: { model: 'gpt-test', messages: [{ role: 'user', content: `master-key ${m}` }] },
});

function writeKeyFile(name) {
  const file = path.join(dir, name);
  const material = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${material}\n`, { mode: 0o600 });
  return { file, material };
}

async function start(env) {
  gateway = await startGateway({ config, dataDir, dir, env });
  running.add(gateway);
  return gateway;
}

async function stop(g = gateway) {
  const exit = await g.stop();
  running.delete(g);
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null },
    `gatehouse exits 0 on SIGTERM:\n${g.output().slice(-3000)}`);
}

/** The chat through `url` with `key` reaches the double carrying `expected` upstream. */
async function assertForwardedWith(url, key, expected, label) {
  const m = marker(label);
  const r = await chat(url, key, m);
  assert.equal(r.status, 200, `${label}: ${r.text}`);
  const seen = openai.requestsContaining(m);
  assert.equal(seen.length, 1, `${label}: one upstream request`);
  assert.equal(openai.keyOf(seen[0]), expected, `${label}: forwarded with its organisation's key`);
}

before(async () => {
  dir = makeTempDir('gatehouse-master-');
  dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  openai = await startOpenAIDouble();
  ({ file: oldKeyFile, material: oldKey } = writeKeyFile('old.key'));
  ({ file: newKeyFile, material: newKey } = writeKeyFile('new.key'));
  config = baseConfig({
    openai, dir, models: { 'gpt-test': [{ provider: 'oa', model: 'upstream-gpt', timeout_ms: 5000 }] },
    server: { access_log: false },
  });
  await start(keyEnv(oldKeyFile));
  assert.ok(!fs.existsSync(path.join(dataDir, 'master.key')), 'no development key when a master key is given');
  assert.ok(!/WARNING/.test(gateway.logs.stderr), 'no development-key warning with a master key');
  const su = gateway.bootstrapKey;
  assert.ok(su, 'bootstrap key');
  for (const label of ['x', 'y']) {
    const org = await adminOk(gateway.url, su, 'POST', '/orgs', { name: `mk-${label}` });
    const project = await adminOk(gateway.url, su, 'POST', `/orgs/${org.id}/projects`, { name: 'p' });
    const providerSecret = randomSecret(`sk-mk-${label}-`, 40);
    openai.acceptKey(providerSecret);
    await adminOk(gateway.url, su, 'POST', `/orgs/${org.id}/provider-keys`, { provider: 'oa', name: 'pk', key: providerSecret });
    const callerKey = await adminOk(gateway.url, su, 'POST', `/orgs/${org.id}/keys`, { project_id: project.id, name: 'k' });
    orgs[label] = { org, project, callerKey, providerSecret };
  }
  const d = await cli(['keys', 'create', '--name', 'default', '--json'], keyEnv(oldKeyFile));
  assert.equal(d.code, 0, d.stderr);
  defaultCaller = JSON.parse(d.stdout);
  for (const [label, o] of Object.entries(orgs)) {
    await waitFor(async () => (await chat(gateway.url, o.callerKey.key, marker('warm'))).status === 200,
      { timeoutMs: 3000, what: `org ${label}'s caller key works` });
  }
});

after(async () => {
  try {
    for (const g of running) await g.stop();
  } finally {
    if (openai) await openai.close();
    removeTempDir(dir);
  }
});

function runWrk(url, key, { seconds = 6, connections = 8, threads = 2 } = {}) {
  const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'wrk during rotation' }], max_tokens: 16 });
  const script = path.join(REPO_ROOT, 'bench/wrk/chat.lua');
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '5s',
      '-s', script, `${url}/v1/chat/completions`], {
      env: { ...process.env, BENCH_API_KEY: key, BENCH_BODY: body, BENCH_CHECK_BODY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 20) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function parseWrk(out) {
  const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
  assert.ok(line, `wrk printed its WRK_RESULT line:\n${out}`);
  const fields = Object.fromEntries(line.slice('WRK_RESULT '.length).trim().split(/\s+/).map((kv) => {
    const [k, v] = kv.split('=');
    return [k, Number(v)];
  }));
  return fields;
}

test('an online master-key rotation under wrk load drops no request', async () => {
  const load = runWrk(gateway.url, orgs.x.callerKey.key);
  await new Promise((r) => setTimeout(r, 2000));
  const upstreamBefore = openai.requests.length;
  const rotate = await cli(['master-key', 'rotate', '--new-key-file', newKeyFile], keyEnv(oldKeyFile));
  const rotatedAt = Date.now();
  const { code, out } = await load;
  assert.equal(rotate.code, 0, `master-key rotate: ${rotate.stdout} ${rotate.stderr}`);
  assert.match(rotate.stdout, /re-wrapped \d+ data keys/);
  for (const material of [oldKey, newKey]) {
    assert.ok(!rotate.stdout.includes(material) && !rotate.stderr.includes(material), 'rotate prints no key material');
  }
  assert.equal(code, 0, `wrk exit:\n${out}`);
  const w = parseWrk(out);
  assert.ok(w.requests > 0, `wrk made requests: ${out}`);
  assert.deepEqual({ connect: w.connect, read: w.read, write: w.write, timeout: w.timeout },
    { connect: 0, read: 0, write: 0, timeout: 0 }, `no socket errors:\n${out}`);
  assert.equal(w.status, 0, `no non-2xx responses:\n${out}`);
  assert.equal(w.bad, 0, `every response was a chat.completion with usage:\n${out}`);
  assert.ok(!/Non-2xx/.test(out), out);
  assert.ok(openai.requests.length > upstreamBefore, 'requests kept reaching the upstream during the rotation');
  const afterRotation = openai.requests.filter((r) => r.receivedAt > rotatedAt && r.body?.messages?.[0]?.content === 'wrk during rotation');
  assert.ok(afterRotation.length > 0, 'and after it');
  assert.ok(afterRotation.every((r) => openai.keyOf(r) === orgs.x.providerSecret), "with org x's key");

  // The running server keeps working for every organisation after the rotation.
  await assertForwardedWith(gateway.url, orgs.x.callerKey.key, orgs.x.providerSecret, 'x-after-rotate');
  await assertForwardedWith(gateway.url, orgs.y.callerKey.key, orgs.y.providerSecret, 'y-after-rotate');
  await assertForwardedWith(gateway.url, defaultCaller.key, openai.apiKey, 'default-after-rotate');
});

test('every data key is now wrapped by the new master key; the rotation is audited', async () => {
  const rows = await sqliteRows(path.join(dataDir, 'keyring.db'), 'SELECT org_id, kek_id, rotated_at FROM data_keys;');
  assert.ok(rows.length >= 4, `instance, default and two orgs: ${JSON.stringify(rows)}`);
  const kekIds = new Set(rows.map((r) => r.kek_id));
  assert.equal(kekIds.size, 1, `one master key wraps them all: ${JSON.stringify(rows)}`);
  for (const r of rows) assert.equal(typeof r.rotated_at, 'number', `${r.org_id} was re-wrapped`);
  const [kek] = kekIds;
  assert.ok(!oldKey.includes(kek) && !newKey.includes(kek), 'the kek id is not a slice of the key');
  // After the rotation the CLI needs the new key, like a restarted server.
  const exported = await cli(['audit', 'export', '--format', 'jsonl', '--org', ''], keyEnv(newKeyFile));
  assert.equal(exported.code, 0, exported.stderr);
  const rotation = exported.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.action === 'master_key.rotate');
  assert.ok(rotation, 'master_key.rotate is in the instance chain');
  assert.equal(rotation.outcome, 'success');
  assert.equal(rotation.target, kek);
});

test('after a restart with only the new key, every provider key works and the audit trail verifies', async () => {
  await stop();
  await start(keyEnv(newKeyFile));
  assert.equal(gateway.bootstrapKey, null, 'no second bootstrap key');
  await assertForwardedWith(gateway.url, orgs.x.callerKey.key, orgs.x.providerSecret, 'x-restarted');
  await assertForwardedWith(gateway.url, orgs.y.callerKey.key, orgs.y.providerSecret, 'y-restarted');
  await assertForwardedWith(gateway.url, defaultCaller.key, openai.apiKey, 'default-restarted');
  assert.ok(!/keyring_check_failed|decrypt_failed/.test(gateway.logs.stderr), gateway.logs.stderr.slice(-2000));
  const verify = await cli(['audit', 'verify', '--json'], keyEnv(newKeyFile));
  assert.equal(verify.code, 0, `${verify.stdout} ${verify.stderr}`);
  assert.equal(JSON.parse(verify.stdout).ok, true);
  // A second rotation to the same key changes nothing.
  const again = await cli(['master-key', 'rotate', '--new-key-file', newKeyFile], keyEnv(newKeyFile));
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /re-wrapped 0 data keys/);
  await stop();
});

test('the old master key alone no longer opens the keyring: the server refuses to start', async () => {
  // What the binary does: the instance data key (which the audit chain key comes from) is
  // wrapped by a master key it does not hold, so `serve` exits non-zero before listening and
  // nothing is forwarded anywhere.
  const seenBefore = openai.requests.length;
  const configFile = path.join(dir, 'old-only.toml');
  fs.writeFileSync(configFile, renderToml(config));
  const r = await runCli(['serve', '--config', configFile, '--data-dir', dataDir], { env: keyEnv(oldKeyFile), timeoutMs: 15000 });
  assert.notEqual(r.code, 0, `serve with only the old key must fail:\n${r.stdout}\n${r.stderr}`);
  assert.ok(r.code > 0, `it exits by itself (not killed by the timeout): ${r.code}`);
  assert.ok(!/listening on/.test(r.stdout), 'it never listened');
  assert.match(r.stderr, /master key/i, `the reason names the master key: ${r.stderr}`);
  for (const material of [oldKey, newKey]) assert.ok(!`${r.stdout}${r.stderr}`.includes(material), 'no key material in the message');
  assert.equal(openai.requests.length, seenBefore, 'nothing reached the upstream');
  const verify = await runCli(['audit', 'verify', '--data-dir', dataDir, '--config', configFile], { env: keyEnv(oldKeyFile) });
  assert.notEqual(verify.code, 0, 'the CLI cannot open the keyring with the old key either');
});

// The rotation window, on a fresh data dir: a server holding only the old key runs while the
// operator rotates; organisations it has not used yet, and ones created in it afterwards, must
// keep working there and after the restart with the new key only (as the rotate command says).
const win = {};

test('rotation window: an organisation whose data key the running server had not used yet still works after an online rotation', async () => {
  win.dataDir = path.join(dir, 'window');
  fs.mkdirSync(win.dataDir);
  win.saved = dataDir;
  dataDir = win.dataDir;
  await start(keyEnv(oldKeyFile));
  win.boot = gateway.bootstrapKey;
  win.early = await adminOk(gateway.url, win.boot, 'POST', '/orgs', { name: 'early' });
  win.earlyProject = await adminOk(gateway.url, win.boot, 'POST', `/orgs/${win.early.id}/projects`, { name: 'p' });
  const rotate = await cli(['master-key', 'rotate', '--new-key-file', newKeyFile], keyEnv(oldKeyFile));
  assert.equal(rotate.code, 0, rotate.stderr);
  // Created before the rotation, first used after it.
  const secret = randomSecret('sk-window-early-', 40);
  openai.acceptKey(secret);
  const added = await adminApi(gateway.url, win.boot, 'POST', `/orgs/${win.early.id}/provider-keys`, { provider: 'oa', name: 'pk', key: secret });
  assert.equal(added.status, 201, `adding a provider key to an organisation created before the rotation: ${added.text}`);
  const key = await adminOk(gateway.url, win.boot, 'POST', `/orgs/${win.early.id}/keys`, { project_id: win.earlyProject.id, name: 'k' });
  await waitFor(async () => (await chat(gateway.url, key.key, marker('early'))).status !== 401, { timeoutMs: 3000 });
  await assertForwardedWith(gateway.url, key.key, secret, 'early org in the running server');
});

test('rotation window: an organisation created in the running server after the rotation works after the restart with only the new key', async () => {
  assert.ok(win.boot, 'the window server started');
  if (!running.has(gateway)) await start(keyEnv(oldKeyFile));
  const late = await adminOk(gateway.url, win.boot, 'POST', '/orgs', { name: 'late' });
  const project = await adminOk(gateway.url, win.boot, 'POST', `/orgs/${late.id}/projects`, { name: 'p' });
  const secret = randomSecret('sk-window-late-', 40);
  openai.acceptKey(secret);
  await adminOk(gateway.url, win.boot, 'POST', `/orgs/${late.id}/provider-keys`, { provider: 'oa', name: 'pk', key: secret });
  const key = await adminOk(gateway.url, win.boot, 'POST', `/orgs/${late.id}/keys`, { project_id: project.id, name: 'k' });
  await waitFor(async () => (await chat(gateway.url, key.key, marker('late'))).status !== 401, { timeoutMs: 3000 });
  await assertForwardedWith(gateway.url, key.key, secret, 'late org before the restart');
  await stop();
  try {
    await start(keyEnv(newKeyFile));
    await assertForwardedWith(gateway.url, key.key, secret, 'late org after the restart with the new key');
    const rows = await sqliteRows(path.join(dataDir, 'keyring.db'), 'SELECT org_id, kek_id FROM data_keys;');
    assert.equal(new Set(rows.map((r) => r.kek_id)).size, 1, `every data key under one master key: ${JSON.stringify(rows)}`);
  } finally {
    if (running.has(gateway)) await stop();
    dataDir = win.saved;
  }
});

test('production mode without a master key refuses to start, naming GATEHOUSE_MASTER_KEY, showing no key material', async () => {
  const cases = [
    ['GATEHOUSE_ENV=production', { GATEHOUSE_ENV: 'production' }, config],
    ['mode = "production"', {}, { mode: 'production', ...config }],
  ];
  for (const [label, env, cfg] of cases) {
    const prodDir = makeTempDir('gatehouse-prod-');
    try {
      const data = path.join(prodDir, 'data');
      const configFile = path.join(prodDir, 'gatehouse.toml');
      fs.writeFileSync(configFile, renderToml(cfg));
      const r = await runCli(['serve', '--config', configFile, '--data-dir', data],
        { env: { ...DEV_MODE_ENV, OA_KEY: openai.apiKey, ...env }, timeoutMs: 15000 });
      assert.ok(r.code > 0, `${label}: serve exits non-zero by itself (${r.code}):\n${r.stdout}\n${r.stderr}`);
      assert.ok(!/listening on/.test(r.stdout), `${label}: never listens`);
      assert.match(r.stderr, /GATEHOUSE_MASTER_KEY/, `${label}: names the variable: ${r.stderr}`);
      assert.ok(!/Bootstrap super-admin key|gha_/.test(r.stdout + r.stderr), `${label}: no bootstrap key`);
      assert.ok(!fs.existsSync(path.join(data, 'master.key')), `${label}: no development key written`);
      assert.ok(!/[0-9a-f]{32}/i.test(r.stderr), `${label}: nothing key-like in the message: ${r.stderr}`);
    } finally {
      removeTempDir(prodDir);
    }
  }
  // A too-short key is refused without echoing it.
  const shortKey = 'short-but-secret-1234';
  const prodDir = makeTempDir('gatehouse-prod-');
  try {
    const configFile = path.join(prodDir, 'gatehouse.toml');
    fs.writeFileSync(configFile, renderToml(config));
    const r = await runCli(['serve', '--config', configFile, '--data-dir', path.join(prodDir, 'data')],
      { env: { ...DEV_MODE_ENV, GATEHOUSE_ENV: 'production', GATEHOUSE_MASTER_KEY: shortKey, OA_KEY: openai.apiKey }, timeoutMs: 15000 });
    assert.ok(r.code > 0, `short key refused: ${r.stderr}`);
    assert.match(r.stderr, /GATEHOUSE_MASTER_KEY/);
    assert.ok(!r.stderr.includes(shortKey) && !r.stdout.includes(shortKey), 'the short key is not echoed');
  } finally {
    removeTempDir(prodDir);
  }
});

test('development mode creates master.key (0600) and prints a WARNING on every start', async () => {
  const devDir = makeTempDir('gatehouse-dev-');
  const data = path.join(devDir, 'data');
  fs.mkdirSync(data);
  const starts = [];
  try {
    for (let i = 0; i < 2; i++) {
      const g = await startGateway({ config, dataDir: data, dir: devDir, env: { ...DEV_MODE_ENV, OA_KEY: openai.apiKey } });
      running.add(g);
      starts.push(g);
      const keyPath = path.join(data, 'master.key');
      assert.ok(fs.existsSync(keyPath), 'master.key exists');
      assert.equal(fs.statSync(keyPath).mode & 0o777, 0o600, 'master.key is 0600');
      const material = fs.readFileSync(keyPath, 'utf8').trim();
      assert.match(material, /^[0-9a-f]{64}$/);
      assert.match(g.logs.stderr, /WARNING/, `start ${i + 1} warns: ${g.logs.stderr.slice(0, 1000)}`);
      assert.match(g.logs.stderr, /DEVELOPMENT master key/);
      assert.ok(!g.output().includes(material), 'the warning does not show the key');
      if (i === 0) assert.ok(g.bootstrapKey, 'first start bootstraps');
      else assert.equal(g.bootstrapKey, null);
      await stop(g);
    }
    assert.equal(starts.length, 2);
  } finally {
    removeTempDir(devDir);
  }
});
