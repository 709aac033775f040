// Tenancy: organisations A and B side by side. A's admin keys get 404 not_found_error (and none
// of B's data) for every endpoint on B's objects, by B's real ids, guessed ids and B's org id;
// roles are enforced inside an organisation (403 permission_error); a revoked admin key is
// refused at once; caller keys are scoped, rotate with an overlap, and their traffic and usage
// stay inside their organisation; an organisation's provider key is what its callers'
// requests carry upstream; tenant-supplied provider base URLs pass the egress policy.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';

import { useEnvironment } from './lib/harness.js';
import {
  ADMIN_KEY_PATTERN,
  REPO_ROOT,
  makeTempDir,
  removeTempDir,
  startGateway,
  KEY_PATTERN,
  adminApi,
  adminOk,
  exportUsage,
  marker,
  openaiHeaders,
  parseJsonl,
  randomBase62,
  randomSecret,
  rawRequest,
  sleep,
  waitFor,
} from './lib/gatehouse.js';

const ctx = useEnvironment({
  models: {
    'gpt-test': [{ provider: 'oa', model: 'upstream-gpt' }],
    'gpt-other': [{ provider: 'oa', model: 'upstream-gpt-other' }],
  },
});

const A = {}; // org, keys (owner, admin, member, viewer), project, ...
const B = {};
let su;

const api = (key, method, path, body) => adminApi(ctx.url, key, method, path, body);
const ok = (key, method, path, body, expect) => adminOk(ctx.url, key, method, path, body, expect);

const chat = (key, m, model = 'gpt-test') => rawRequest(`${ctx.url}/v1/chat/completions`, {
  method: 'POST', headers: openaiHeaders(key),
  body: { model, messages: [{ role: 'user', content: `tenancy ${m}` }] },
});

/** Retries while the key is not known yet (the server reloads keys within a second). */
async function chatOnceKnown(key, m, model) {
  return waitFor(async () => {
    const r = await chat(key, m, model);
    return r.status === 401 ? null : r;
  }, { timeoutMs: 3000, what: 'the new caller key is accepted' });
}

function assertApiError(r, status, type, label) {
  assert.equal(r.status, status, `${label}: status (body ${r.text})`);
  assert.match(r.headers['content-type'] ?? '', /application\/json/, `${label}: JSON`);
  assert.equal(r.json?.error?.type, type, `${label}: error type (body ${r.text})`);
  assert.equal(typeof r.json.error.message, 'string', `${label}: message`);
}

const uniq = (label) => `${label}-${crypto.randomBytes(4).toString('hex')}`;

before(async () => {
  await ctx.ready();
  su = ctx.gateway.bootstrapKey;
  assert.match(su ?? '', ADMIN_KEY_PATTERN, 'the first start printed the bootstrap key');

  for (const [org, label] of [[A, 'tenant-a'], [B, 'tenant-b']]) {
    org.org = await ok(su, 'POST', '/orgs', { name: uniq(label) });
    assert.match(org.org.id, /^org_[0-9A-Za-z]{16}$/);
    org.keys = {};
    for (const role of ['owner', 'admin', 'member', 'viewer']) {
      const k = await ok(su, 'POST', `/orgs/${org.org.id}/admin-keys`, { name: `${label}-${role}`, role });
      assert.match(k.key, ADMIN_KEY_PATTERN);
      assert.equal(k.role, role);
      org.keys[role] = k.key;
      org.keys[`${role}Id`] = k.id;
    }
    org.project = await ok(org.keys.admin, 'POST', `/orgs/${org.org.id}/projects`, { name: uniq(`${label}-project`) });
    org.project2 = await ok(org.keys.admin, 'POST', `/orgs/${org.org.id}/projects`, { name: uniq(`${label}-project2`) });
    org.memberEmail = `${uniq('person')}@${label}.example`;
    org.memberName = uniq(`${label}-person-name`);
    org.member = await ok(org.keys.admin, 'POST', `/orgs/${org.org.id}/members`,
      { email: org.memberEmail, name: org.memberName, role: 'member' });
    org.ownerMember = await ok(org.keys.owner, 'POST', `/orgs/${org.org.id}/members`,
      { email: `${uniq('boss')}@${label}.example`, name: 'boss', role: 'owner' });
    org.callerKey = await ok(org.keys.member, 'POST', `/orgs/${org.org.id}/keys`,
      { project_id: org.project.id, name: uniq(`${label}-caller`) });
    assert.match(org.callerKey.key, KEY_PATTERN);
    org.adminKey = await ok(org.keys.admin, 'POST', `/orgs/${org.org.id}/admin-keys`, { name: uniq(`${label}-extra`), role: 'member' });
    org.providerSecret = randomSecret(`sk-${label}-`, 40);
    ctx.openai.acceptKey(org.providerSecret);
    org.providerKey = await ok(org.keys.admin, 'POST', `/orgs/${org.org.id}/provider-keys`,
      { provider: 'oa', name: uniq(`${label}-pk`), key: org.providerSecret });
    // A public address literal: stored without a DNS lookup, never connected to here.
    org.provider = await ok(org.keys.admin, 'POST', `/orgs/${org.org.id}/providers`,
      { name: uniq(`${label}-prov`), type: 'openai-compatible', base_url: 'https://1.1.1.1/v1' });
    org.model = await ok(org.keys.admin, 'PUT', `/orgs/${org.org.id}/models`,
      { name: uniq(`${label}-model`), deployments: [{ provider: org.provider.name, model: 'm1', weight: 2, timeout_ms: 5000 }] });
  }
});

/** Everything of B that must never show up in an answer to A. */
function bSecrets() {
  return [
    B.org.id, B.org.name, B.project.id, B.project.name, B.project2.id, B.member.user_id, B.memberEmail,
    B.memberName, B.ownerMember.user_id, B.callerKey.id, B.callerKey.name, B.callerKey.key, B.adminKey.id,
    B.adminKey.name, B.adminKey.key, B.keys.ownerId, B.keys.adminId, B.providerKey.id, B.providerKey.name,
    B.providerSecret, B.provider.id, B.provider.name, B.model.id, B.model.name,
  ];
}

// The admin API's own description of itself (the document GET /admin/v1/openapi.json serves):
// every organisation route it documents is probed.
const openapi = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'src/admin/openapi.json'), 'utf8'));
const ID_FOR = {
  projects: 'project', members: 'user', keys: 'key', 'admin-keys': 'adminKey', 'provider-keys': 'providerKey',
  providers: 'provider', models: 'model',
};
const BODIES = {
  'PATCH /orgs/{org}': { name: 'renamed-by-a', audit_retention_days: 1 },
  'POST /orgs/{org}/projects': { name: 'from-a' },
  'POST /orgs/{org}/members': { email: 'x@a.example', name: 'x', role: 'viewer' },
  'PATCH /orgs/{org}/members/{id}': { role: 'viewer' },
  'POST /orgs/{org}/keys': { project_id: '{project}', name: 'from-a' },
  'POST /orgs/{org}/keys/{id}/rotate': { overlap_seconds: 0 },
  'POST /orgs/{org}/admin-keys': { name: 'from-a', role: 'viewer' },
  'POST /orgs/{org}/provider-keys': { provider: 'oa', name: 'from-a', key: 'sk-from-a-0123456789' },
  'POST /orgs/{org}/providers': { name: 'from-a', type: 'openai', base_url: 'https://1.1.1.1/v1' },
  'PUT /orgs/{org}/models': { name: 'from-a', deployments: [{ provider: 'oa' }] },
};
const QUERIES = { '/orgs/{org}/usage': ['?format=jsonl', '?format=csv'], '/orgs/{org}/audit/export': ['?format=jsonl', '?format=csv'] };

/** Every documented endpoint and method on organisation `org`'s objects, with these ids. */
function endpointsFor(org, ids) {
  const out = [];
  for (const [template, item] of Object.entries(openapi.paths)) {
    if (!template.startsWith('/orgs/{org}')) continue;
    const segments = template.split('/');
    const id = ids[ID_FOR[segments[3]]];
    const concrete = template.replace('{org}', org).replace('{id}', id);
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (!item[method]) continue;
      const m = method.toUpperCase();
      let body = BODIES[`${m} ${template}`];
      if (body?.project_id) body = { ...body, project_id: ids.project };
      if (['POST', 'PUT', 'PATCH'].includes(m) && !body) body = {};
      for (const q of QUERIES[template] ?? ['']) out.push([m, `${concrete}${q}`, body]);
    }
  }
  return out;
}

const bIds = () => ({
  project: B.project.id, user: B.member.user_id, key: B.callerKey.id, adminKey: B.adminKey.id,
  providerKey: B.providerKey.id, provider: B.provider.id, model: B.model.id,
});
const guessedIds = () => ({
  project: `prj_${randomBase62(16)}`, user: `usr_${randomBase62(16)}`, key: randomBase62(16),
  adminKey: randomBase62(16), providerKey: `pk_${randomBase62(16)}`, provider: `prv_${randomBase62(16)}`,
  model: `mdl_${randomBase62(16)}`,
});

async function assertAllNotFound(key, who, endpoints) {
  const secrets = bSecrets();
  for (const [method, path, body] of endpoints) {
    const label = `${who}: ${method} ${path}`;
    const r = await api(key, method, path, body);
    assertApiError(r, 404, 'not_found_error', label);
    for (const value of secrets) assert.ok(!r.text.includes(value), `${label}: the answer holds B's ${value}`);
  }
}

test('the OpenAPI document is served without a key, and the server survives serving it', async () => {
  // Its own gateway: a crash here must not take the rest of this file down with it.
  const dir = makeTempDir('gatehouse-openapi-');
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  const g = await startGateway({ config: ctx.config, dataDir, dir, env: { OA_KEY: ctx.openai.apiKey } });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await rawRequest(`${g.url}/admin/v1/openapi.json`);
      assert.equal(r.status, 200, `fetch ${i + 1}`);
      assert.match(r.headers['content-type'] ?? '', /application\/json/);
      assert.match(r.json?.openapi ?? '', /^3\.1/);
      assert.deepEqual(Object.keys(r.json.paths).sort(), Object.keys(openapi.paths).sort(), 'the served document is the one in the repository');
    }
    const health = await rawRequest(`${g.url}/healthz`);
    assert.equal(health.status, 200, 'still serving after the OpenAPI document');
  } finally {
    const exit = await g.stop();
    removeTempDir(dir);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null },
      `the server survives GET /admin/v1/openapi.json: ${g.logs.stderr.split('\n').filter((l) => !l.includes('"request"')).slice(-5).join('\n')}`);
  }
});

test('the OpenAPI document lists every organisation route this file probes', () => {
  const documented = Object.keys(openapi.paths);
  for (const p of ['/orgs/{org}', '/orgs/{org}/projects/{id}', '/orgs/{org}/members/{id}', '/orgs/{org}/keys/{id}/rotate',
    '/orgs/{org}/admin-keys/{id}', '/orgs/{org}/provider-keys/{id}', '/orgs/{org}/providers/{id}', '/orgs/{org}/models/{id}',
    '/orgs/{org}/usage', '/orgs/{org}/audit', '/orgs/{org}/audit/export']) {
    assert.ok(documented.includes(p), `${p} is documented`);
  }
  const probes = endpointsFor('org_x', bIds());
  assert.ok(probes.length >= 35, `enough routes to probe: ${probes.length}`);
  for (const [, path] of probes) assert.ok(!path.includes('undefined') && !path.includes('{'), `every id filled in: ${path}`);
});

test("A's owner and admin keys get 404 not_found_error, and none of B's data, for every endpoint on B's objects", async () => {
  for (const role of ['owner', 'admin', 'viewer']) {
    await assertAllNotFound(A.keys[role], `A ${role} on B (real ids)`, endpointsFor(B.org.id, bIds()));
    await assertAllNotFound(A.keys[role], `A ${role} on B (guessed ids)`, endpointsFor(B.org.id, guessedIds()));
  }
  // Organisations that may or may not exist look the same: guessed, enumerated, well known.
  for (const org of [`org_${randomBase62(16)}`, 'org_default', `${B.org.id.slice(0, -1)}x`, 'org_']) {
    await assertAllNotFound(A.keys.owner, `A owner on ${org}`, endpointsFor(org, bIds()));
  }
  // The same 404 for a real and a made-up organisation (nothing tells them apart).
  const real = await api(A.keys.admin, 'GET', `/orgs/${B.org.id}/keys`);
  const fake = await api(A.keys.admin, 'GET', `/orgs/org_${randomBase62(16)}/keys`);
  assert.equal(real.text, fake.text);
});

test("B's object ids inside A's own organisation are 404 too, and nothing of B changed", async () => {
  await assertAllNotFound(A.keys.owner, 'A owner on A with B ids', endpointsFor(A.org.id, bIds()).filter(([method, path]) =>
    // Collection endpoints of A's own org legitimately answer; only the per-object ones matter.
    /\/(projects|members|keys|admin-keys|provider-keys|providers|models)\/[^/?]+/.test(path)));
  const k = await api(A.keys.admin, 'GET', `/orgs/${A.org.id}/keys/${B.callerKey.id}`);
  assertApiError(k, 404, 'not_found_error', "A's key on /orgs/A/keys/{B's key id}");

  // Nothing A tried touched B.
  const b = B.keys.admin;
  const o = `/orgs/${B.org.id}`;
  assert.equal((await ok(b, 'GET', o)).name, B.org.name);
  assert.ok((await ok(b, 'GET', `${o}/projects`)).data.some((p) => p.id === B.project.id));
  assert.equal((await ok(b, 'GET', `${o}/members/${B.member.user_id}`)).role, 'member');
  const callerKey = await ok(b, 'GET', `${o}/keys/${B.callerKey.id}`);
  assert.equal(callerKey.revoked_at, null);
  assert.equal(callerKey.rotated_to, null);
  assert.equal((await ok(b, 'GET', `${o}/keys`)).data.length, 1, 'no key was created in B');
  const adminKeys = (await ok(b, 'GET', `${o}/admin-keys`)).data;
  assert.equal(adminKeys.find((x) => x.id === B.adminKey.id)?.revoked_at, null);
  assert.equal(adminKeys.length, 5, 'no admin key was created in B');
  assert.ok((await ok(b, 'GET', `${o}/provider-keys/${B.providerKey.id}`)).id);
  assert.equal((await ok(b, 'GET', `${o}/provider-keys`)).data.length, 1);
  assert.deepEqual((await ok(b, 'GET', `${o}/providers`)).data.map((p) => p.id), [B.provider.id]);
  assert.deepEqual((await ok(b, 'GET', `${o}/models`)).data.map((m) => m.id), [B.model.id]);
  assert.equal((await ok(b, 'GET', `${o}/members`)).data.length, 2, 'no member was added to B');
  const r = await chat(B.callerKey.key, marker('b-still'));
  assert.equal(r.status, 200, "B's caller key still works");
});

test('an organisation-bound key sees only its own organisation; instance routes are not for it', async () => {
  const orgs = await ok(A.keys.admin, 'GET', '/orgs');
  assert.deepEqual(orgs.data.map((o) => o.id), [A.org.id]);
  assertApiError(await api(A.keys.owner, 'POST', '/orgs', { name: 'nope' }), 403, 'permission_error', 'POST /orgs by an org owner');
  for (const path of ['/audit', '/audit/export?format=jsonl', '/audit/verify']) {
    const r = await api(A.keys.owner, 'GET', path);
    assert.ok([403, 404].includes(r.status), `${path} refused for an org key: ${r.status}`);
    assert.ok(!r.text.includes(B.org.id));
  }
  const me = await ok(A.keys.member, 'GET', '/me');
  assert.deepEqual({ org_id: me.org_id, role: me.role, key_id: me.key_id }, { org_id: A.org.id, role: 'member', key_id: A.keys.memberId });
});

test('adding a member whose email another organisation uses reveals nothing that organisation set', async () => {
  const shared = await ok(A.keys.admin, 'POST', `/orgs/${A.org.id}/members`, { email: B.memberEmail, name: 'A knows them as this', role: 'viewer' });
  assert.ok(!JSON.stringify(shared).includes(B.memberName), `A sees the name B gave the user: ${JSON.stringify(shared)}`);
});

test('roles: member, viewer and admin can do exactly what their role allows', async () => {
  const o = `/orgs/${A.org.id}`;
  const m = A.keys.member;
  const denied = async (key, method, path, body, label) =>
    assertApiError(await api(key, method, path, body), 403, 'permission_error', label);

  // member: reads and caller keys only.
  await denied(m, 'POST', `${o}/projects`, { name: 'by-member' }, 'member creates a project');
  await denied(m, 'DELETE', `${o}/keys/${A.callerKey.id}`, undefined, 'member revokes a key');
  await denied(m, 'POST', `${o}/provider-keys`, { provider: 'oa', name: 'x', key: 'sk-member-0123456789' }, 'member adds a provider key');
  await denied(m, 'PATCH', `${o}/members/${A.member.user_id}`, { role: 'viewer' }, 'member changes a role');
  await denied(m, 'GET', `${o}/audit`, undefined, 'member reads the audit trail');
  await denied(m, 'GET', `${o}/audit/export?format=jsonl`, undefined, 'member exports the audit trail');
  await denied(m, 'POST', `${o}/admin-keys`, { name: 'x', role: 'viewer' }, 'member creates an admin key');
  await denied(m, 'PATCH', o, { name: 'by-member' }, 'member changes settings');
  for (const path of ['/keys', '/projects', '/members', '/provider-keys', '/models', '/providers']) {
    assert.equal((await api(m, 'GET', `${o}${path}`)).status, 200, `member lists ${path}`);
  }
  const created = await ok(m, 'POST', `${o}/keys`, { project_id: A.project.id, name: 'by-member' }, 201);
  assert.match(created.key, KEY_PATTERN);
  const rotated = await ok(m, 'POST', `${o}/keys/${created.id}/rotate`, { overlap_seconds: 0 }, 201);
  assert.match(rotated.key, KEY_PATTERN);
  // The refused changes are not done.
  assert.equal((await ok(A.keys.admin, 'GET', `${o}/keys/${A.callerKey.id}`)).revoked_at, null);
  assert.equal((await ok(A.keys.admin, 'GET', `${o}/members/${A.member.user_id}`)).role, 'member');
  assert.ok(!(await ok(A.keys.admin, 'GET', `${o}/projects`)).data.some((p) => p.name === 'by-member'));

  // viewer: reads only.
  const v = A.keys.viewer;
  await denied(v, 'POST', `${o}/keys`, { project_id: A.project.id, name: 'by-viewer' }, 'viewer creates a caller key');
  await denied(v, 'POST', `${o}/keys/${A.callerKey.id}/rotate`, {}, 'viewer rotates a caller key');
  assert.equal((await api(v, 'GET', `${o}/keys`)).status, 200, 'viewer lists keys');

  // admin: everything but owners.
  const a = A.keys.admin;
  await denied(a, 'POST', `${o}/members`, { email: `${uniq('o')}@a.example`, role: 'owner' }, 'admin grants owner to a new member');
  await denied(a, 'PATCH', `${o}/members/${A.member.user_id}`, { role: 'owner' }, 'admin promotes a member to owner');
  await denied(a, 'PATCH', `${o}/members/${A.ownerMember.user_id}`, { role: 'viewer' }, 'admin demotes an owner');
  await denied(a, 'DELETE', `${o}/members/${A.ownerMember.user_id}`, undefined, 'admin removes an owner');
  await denied(a, 'POST', `${o}/admin-keys`, { name: 'up', role: 'owner' }, 'admin creates an owner admin key');
  await denied(a, 'DELETE', o, undefined, 'admin deletes the organisation');
  assert.equal((await ok(a, 'PATCH', `${o}/members/${A.member.user_id}`, { role: 'viewer' })).role, 'viewer');
  assert.equal((await ok(a, 'PATCH', `${o}/members/${A.member.user_id}`, { role: 'member' })).role, 'member');
  const sameRole = await ok(a, 'POST', `${o}/admin-keys`, { name: 'same', role: 'admin' }, 201);
  assert.equal(sameRole.role, 'admin');
  assert.equal((await api(a, 'GET', `${o}/audit`)).status, 200, 'admin reads the audit trail');
  assert.equal((await ok(A.keys.owner, 'PATCH', `${o}/members/${A.member.user_id}`, { role: 'owner' })).role, 'owner');
  assert.equal((await ok(A.keys.owner, 'PATCH', `${o}/members/${A.member.user_id}`, { role: 'member' })).role, 'member');
  // An owner's admin key did not get demoted or lose anything.
  assert.equal((await ok(A.keys.owner, 'GET', `${o}/members/${A.ownerMember.user_id}`)).role, 'owner');
});

test('an admin key cannot revoke an admin key of a higher role (owner keys)', async () => {
  const o = `/orgs/${A.org.id}`;
  const owner2 = await ok(A.keys.owner, 'POST', `${o}/admin-keys`, { name: 'owner2', role: 'owner' }, 201);
  const r = await api(A.keys.admin, 'DELETE', `${o}/admin-keys/${owner2.id}`);
  assertApiError(r, 403, 'permission_error', 'admin revokes an owner admin key');
  assert.equal((await api(owner2.key, 'GET', '/me')).status, 200, 'the owner key still works');
});

test('a revoked admin key gets 401 on its very next request', async () => {
  const o = `/orgs/${A.org.id}`;
  const k = await ok(A.keys.admin, 'POST', `${o}/admin-keys`, { name: 'short-lived', role: 'member' }, 201);
  assert.equal((await api(k.key, 'GET', '/me')).status, 200);
  assert.equal((await api(k.key, 'GET', `${o}/keys`)).status, 200);
  await ok(A.keys.admin, 'DELETE', `${o}/admin-keys/${k.id}`);
  for (const [method, path] of [['GET', '/me'], ['GET', `${o}/keys`], ['POST', `${o}/keys`]]) {
    const r = await api(k.key, method, path, method === 'POST' ? { project_id: A.project.id, name: 'x' } : undefined);
    assertApiError(r, 401, 'authentication_error', `revoked admin key: ${method} ${path}`);
  }
  const listed = (await ok(A.keys.admin, 'GET', `${o}/admin-keys`)).data.find((x) => x.id === k.id);
  assert.equal(typeof listed?.revoked_at, 'number');
  assertApiError(await api(A.keys.admin, 'DELETE', `${o}/admin-keys/${k.id}`), 404, 'not_found_error', 'revoking twice');
});

test("cross-tenant data plane: B's caller key works, its usage is in B's export only", async () => {
  const m = marker('b-usage');
  const r = await chatOnceKnown(B.callerKey.key, m);
  assert.equal(r.status, 200, r.text);
  const requestId = r.headers['x-request-id'];
  assert.ok(requestId);
  const mA = marker('a-usage');
  const rA = await chatOnceKnown(A.callerKey.key, mA);
  assert.equal(rA.status, 200, rA.text);
  const requestIdA = rA.headers['x-request-id'];

  const usageOf = async (key, org) => {
    const res = await api(key, 'GET', `/orgs/${org}/usage?format=jsonl`);
    assert.equal(res.status, 200, res.text);
    return parseJsonl(res.text);
  };
  const bRecords = await waitFor(async () => {
    const records = await usageOf(B.keys.admin, B.org.id);
    return records.some((x) => x.request_id === requestId) && records;
  }, { timeoutMs: 5000, what: "B's usage record" });
  const mine = bRecords.find((x) => x.request_id === requestId);
  assert.equal(mine.org_id, B.org.id);
  assert.equal(mine.project_id, B.project.id);
  assert.equal(mine.key_id, B.callerKey.id);
  assert.ok(bRecords.every((x) => x.org_id === B.org.id), "B's export holds only B's records");
  assert.ok(!bRecords.some((x) => x.request_id === requestIdA), "A's request is not in B's export");

  const aRecords = await waitFor(async () => {
    const records = await usageOf(A.keys.admin, A.org.id);
    return records.some((x) => x.request_id === requestIdA) && records;
  }, { timeoutMs: 5000, what: "A's usage record" });
  assert.ok(!aRecords.some((x) => x.request_id === requestId), "B's request is not in A's export");
  assert.ok(aRecords.every((x) => x.org_id === A.org.id));
  const aCsv = await api(A.keys.admin, 'GET', `/orgs/${A.org.id}/usage?format=csv`);
  assert.ok(!aCsv.text.includes(requestId) && !aCsv.text.includes(B.callerKey.id));
  const defaultExport = await exportUsage(ctx.dataDir, 'jsonl');
  assert.ok(!defaultExport.includes(requestId), "B's request is not in the default organisation's export");
  const cliA = await exportUsage(ctx.dataDir, 'jsonl', { org: A.org.id });
  assert.ok(cliA.includes(requestIdA) && !cliA.includes(requestId), 'the CLI export is per organisation too');
});

test('a scoped caller key lists only its models and gets 404 for any other', async () => {
  const o = `/orgs/${A.org.id}`;
  const scoped = await ok(A.keys.member, 'POST', `${o}/keys`, { project_id: A.project.id, name: 'scoped', scopes: ['gpt-test'] }, 201);
  assert.deepEqual(scoped.scopes, ['gpt-test']);
  const r = await chatOnceKnown(scoped.key, marker('scoped'));
  assert.equal(r.status, 200, r.text);
  const models = await rawRequest(`${ctx.url}/v1/models`, { headers: openaiHeaders(scoped.key) });
  assert.equal(models.status, 200);
  assert.deepEqual(models.json.data.map((x) => x.id), ['gpt-test']);
  const all = await rawRequest(`${ctx.url}/v1/models`, { headers: openaiHeaders(A.callerKey.key) });
  assert.deepEqual(all.json.data.map((x) => x.id).sort(), ['gpt-other', 'gpt-test', A.model.name].sort(),
    "an unscoped key sees the instance's models and its own organisation's, not B's");
  const bModels = await rawRequest(`${ctx.url}/v1/models`, { headers: openaiHeaders(B.callerKey.key) });
  assert.ok(bModels.json.data.some((x) => x.id === B.model.name) && !bModels.json.data.some((x) => x.id === A.model.name),
    `B sees its model and not A's: ${bModels.text}`);

  const m = marker('out-of-scope');
  const out = await chat(scoped.key, m, 'gpt-other');
  assert.equal(out.status, 404, out.text);
  const unknown = await chat(scoped.key, m, 'no-such-model');
  assert.equal(unknown.status, 404);
  const normal = (res, model) => {
    const id = res.headers['x-request-id'];
    return (id ? res.text.split(id).join('<id>') : res.text).split(model).join('<model>');
  };
  assert.equal(normal(out, 'gpt-other'), normal(unknown, 'no-such-model'), 'out of scope looks exactly like does not exist');
  const otherTenant = await chat(A.callerKey.key, m, B.model.name);
  assert.equal(otherTenant.status, 404, `A's key asking for B's model: ${otherTenant.text}`);
  assert.equal(normal(otherTenant, B.model.name), normal(unknown, 'no-such-model'), "B's model looks like no model to A");
  assert.equal(ctx.openai.requestsContaining(m).length, 0, 'nothing reached the upstream');
  const sdk = ctx.oa(scoped.key);
  await assert.rejects(sdk.chat.completions.create({ model: 'gpt-other', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 404);
});

test('caller key rotation: both keys work during the overlap, only the new one after it', async () => {
  const o = `/orgs/${A.org.id}`;
  const old = await ok(A.keys.member, 'POST', `${o}/keys`, { project_id: A.project.id, name: 'to-rotate' }, 201);
  assert.equal((await chatOnceKnown(old.key, marker('old'))).status, 200);
  const before = Date.now();
  const fresh = await ok(A.keys.member, 'POST', `${o}/keys/${old.id}/rotate`, { overlap_seconds: 2 }, 201);
  assert.match(fresh.key, KEY_PATTERN);
  assert.notEqual(fresh.key, old.key);
  assert.equal(fresh.previous?.id, old.id);
  const overlapEnd = fresh.previous.expires_at;
  assert.ok(overlapEnd >= before + 1500 && overlapEnd <= Date.now() + 2500, `overlap ends ~2 s from now: ${overlapEnd - before} ms`);
  assert.equal((await ok(A.keys.admin, 'GET', `${o}/keys/${old.id}`)).rotated_to, fresh.id);

  assert.equal((await chatOnceKnown(fresh.key, marker('new'))).status, 200, 'the new key works');
  assert.ok(Date.now() < overlapEnd - 200, 'still inside the overlap');
  assert.equal((await chat(old.key, marker('old-during'))).status, 200, 'the old key works during the overlap');

  await sleep(Math.max(0, overlapEnd - Date.now()) + 50);
  const after = await chat(old.key, marker('old-after'));
  assert.equal(after.status, 401, `the old key is refused once the overlap ended: ${after.text}`);
  assert.equal((await chat(fresh.key, marker('new-after'))).status, 200, 'the new key still works');
  assertApiError(await api(A.keys.member, 'POST', `${o}/keys/${old.id}/rotate`, {}), 409, 'conflict_error', 'rotating a rotated key');
});

test("provider key precedence: B's callers carry B's key upstream, the default org's callers the config key, a project key beats the org key", async () => {
  const mB = marker('pk-b');
  assert.equal((await chatOnceKnown(B.callerKey.key, mB)).status, 200);
  const [seenB] = ctx.openai.requestsContaining(mB);
  assert.equal(ctx.openai.keyOf(seenB), B.providerSecret, "B's request carries B's provider key");

  const mA = marker('pk-a');
  assert.equal((await chatOnceKnown(A.callerKey.key, mA)).status, 200);
  assert.equal(ctx.openai.keyOf(ctx.openai.requestsContaining(mA)[0]), A.providerSecret, "A's request carries A's key");

  const mD = marker('pk-default');
  assert.equal((await chat(ctx.key.key, mD)).status, 200);
  assert.equal(ctx.openai.keyOf(ctx.openai.requestsContaining(mD)[0]), ctx.openai.apiKey,
    "the default organisation's caller carries the configured key");

  // A project-level key wins over the organisation-level one, for that project only.
  const projectSecret = randomSecret('sk-b-project-', 40);
  ctx.openai.acceptKey(projectSecret);
  await ok(B.keys.admin, 'POST', `/orgs/${B.org.id}/provider-keys`,
    { provider: 'oa', name: 'project-key', key: projectSecret, project_id: B.project2.id }, 201);
  const inProject2 = await ok(B.keys.admin, 'POST', `/orgs/${B.org.id}/keys`, { project_id: B.project2.id, name: 'p2' }, 201);
  const m2 = marker('pk-project');
  const r2 = await waitFor(async () => {
    const r = await chat(inProject2.key, m2);
    const seen = ctx.openai.requestsContaining(m2).at(-1);
    return r.status === 200 && ctx.openai.keyOf(seen) === projectSecret ? r : null;
  }, { timeoutMs: 3000, what: 'the project key is used for project2' });
  assert.equal(r2.status, 200);
  const mB2 = marker('pk-b-again');
  assert.equal((await chat(B.callerKey.key, mB2)).status, 200);
  assert.equal(ctx.openai.keyOf(ctx.openai.requestsContaining(mB2)[0]), B.providerSecret, 'other projects keep the org key');
  // None of the organisations' keys went to another organisation's requests.
  for (const rec of ctx.openai.requests) {
    const k = ctx.openai.keyOf(rec);
    if (rec.rawBody.includes('tenancy pk-a')) assert.equal(k, A.providerSecret);
  }
});

test('egress: provider base URLs on loopback, link-local metadata or localhost are refused (400) and audited as denied', async () => {
  const o = `/orgs/${A.org.id}`;
  const refused = ['http://127.0.0.1:1/v1', 'https://169.254.169.254/', 'https://localhost/', 'https://10.0.0.5/v1',
    'https://[::1]/v1', 'http://1.1.1.1/v1'];
  const names = [];
  for (const base_url of refused) {
    const name = uniq('evil');
    names.push(name);
    const r = await api(A.keys.admin, 'POST', `${o}/providers`, { name, type: 'openai', base_url });
    assertApiError(r, 400, 'invalid_request_error', `provider at ${base_url}`);
  }
  const listed = (await ok(A.keys.admin, 'GET', `${o}/providers`)).data.map((p) => p.name);
  for (const name of names) assert.ok(!listed.includes(name), `${name} was not stored`);
  const audit = (await ok(A.keys.admin, 'GET', `${o}/audit?limit=1000`)).data;
  const denied = audit.filter((e) => e.action === 'provider.add' && e.outcome === 'denied');
  assert.ok(denied.length >= refused.length, `each refusal is audited as denied (${denied.length})`);
  for (const e of denied) assert.equal(e.detail?.reason, 'egress_policy');
  assert.ok(denied.every((e) => e.actor === `admin_key:${A.keys.adminId}`));
});
