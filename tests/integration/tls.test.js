// [server.tls]: gatehouse serves HTTPS with a self-signed P-256 certificate; an SDK that trusts
// the certificate (NODE_EXTRA_CA_CERTS in a child process) works, and TLS 1.3 is negotiated.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { OPENAI_REPLY } from './doubles/openai_double.js';
import { useEnvironment } from './lib/harness.js';
import { baseConfig, rawRequest } from './lib/gatehouse.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tlsFiles = {};

const ctx = useEnvironment({
  configure(c) {
    tlsFiles.cert = path.join(c.dir, 'cert.pem');
    tlsFiles.key = path.join(c.dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-days', '1',
      '-keyout', tlsFiles.key, '-out', tlsFiles.cert,
    ], { stdio: 'ignore' });
    return baseConfig({
      openai: c.openai, anthropic: c.anthropic, dir: c.dir,
      models: { 'gpt-test': [{ provider: 'oa', model: 'upstream-gpt' }] },
      server: { tls: { cert_file: tlsFiles.cert, key_file: tlsFiles.key } },
    });
  },
});

test('the listening line announces https', () => {
  assert.match(ctx.url, /^https:\/\/127\.0\.0\.1:\d+$/);
});

test('TLS 1.3 is negotiated and the certificate verifies against the self-signed CA', async () => {
  const ca = fs.readFileSync(tlsFiles.cert);
  const socket = await new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: ctx.gateway.port, servername: 'localhost', ca }, () => resolve(s));
    s.on('error', reject);
  });
  try {
    assert.equal(socket.authorized, true, `certificate verification: ${socket.authorizationError}`);
    assert.equal(socket.getProtocol(), 'TLSv1.3');
  } finally {
    socket.destroy();
  }
  const r = await rawRequest(`${ctx.url}/healthz`, { ca });
  assert.equal(r.status, 200);
  assert.equal(r.tlsProtocol, 'TLSv1.3');
});

test('the OpenAI SDK (trusting the cert via NODE_EXTRA_CA_CERTS) chats and streams over https', async () => {
  const script = `
    import OpenAI from 'openai';
    const client = new OpenAI({ apiKey: process.env.GH_KEY, baseURL: process.env.GH_URL + '/v1', maxRetries: 0, timeout: 15000 });
    const r = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi over tls' }] });
    const s = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'stream over tls' }] });
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    console.log(JSON.stringify({ content: r.choices[0].message.content, streamed: text }));
  `;
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], {
      cwd: here,
      timeout: 30000,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tlsFiles.cert, GH_URL: ctx.url, GH_KEY: ctx.key.key },
    }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const result = JSON.parse(out.trim().split('\n').at(-1));
  assert.deepEqual(result, { content: OPENAI_REPLY, streamed: OPENAI_REPLY });
});

test('an https client that does not trust the certificate is refused', async () => {
  await assert.rejects(rawRequest(`${ctx.url}/healthz`), (e) => /self[- ]signed|certificate/i.test(e.message));
});
