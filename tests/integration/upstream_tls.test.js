// The upstream client verifies certificates and hostnames: an HTTPS upstream signed by a private
// CA works only when the provider's ca_file trusts it, SNI carries the host name, and a
// certificate for another name is refused (502), never silently accepted.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { createKey, makeTempDir, removeTempDir, startGateway } from './lib/gatehouse.js';

const COMPLETION = {
  id: 'chatcmpl-tls', object: 'chat.completion', created: 1700000000, model: 'upstream-tls',
  choices: [{ index: 0, message: { role: 'assistant', content: 'over verified TLS', refusal: null },
    logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
};

let dir;
const upstreams = [];
const gateways = [];

// A CA, and a server certificate it signs for `name`.
function makeCertificates(name) {
  const p = (f) => path.join(dir, `${name}-${f}`);
  const run = (args) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=Test CA ${name}`, '-keyout', p('ca.key'), '-out', p('ca.pem')]);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`,
    '-keyout', p('server.key'), '-out', p('server.csr')]);
  fs.writeFileSync(p('ext.cnf'), `subjectAltName=DNS:${name}\n`);
  run(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
    '-CAcreateserial', '-days', '1', '-extfile', p('ext.cnf'), '-out', p('server.pem')]);
  return { ca: p('ca.pem'), cert: p('server.pem'), key: p('server.key') };
}

async function startHttpsUpstream(files) {
  const seen = { requests: 0, servernames: [] };
  const server = https.createServer({ cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) },
    (req, res) => {
      seen.requests += 1;
      seen.servernames.push(req.socket.servername);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(COMPLETION));
      });
    });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstreams.push(server);
  return { port: server.address().port, seen };
}

async function gatewayFor(name, { port, caFile }) {
  const dataDir = path.join(dir, `data-${name}`);
  const provider = { name: 'tls', type: 'openai-compatible', base_url: `https://localhost:${port}/v1` };
  if (caFile) provider.ca_file = caFile;
  const config = {
    server: { listen: '127.0.0.1:0' },
    routing: { max_attempts: 1 },
    providers: [provider],
    models: [{ name: 'm', deployments: [{ provider: 'tls', model: 'upstream-tls', timeout_ms: 3000 }] }],
  };
  const key = await createKey(dataDir);
  const gateway = await startGateway({ config, dataDir, dir });
  gateways.push(gateway);
  return { gateway, key: key.key };
}

async function chat({ gateway, key }) {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello' }] }),
  });
  return { status: response.status, body: await response.json() };
}

before(() => {
  dir = makeTempDir('gatehouse-upstream-tls-');
});

after(async () => {
  for (const gateway of gateways) assert.equal((await gateway.stop()).code, 0);
  for (const server of upstreams) server.close();
  removeTempDir(dir);
});

test('an upstream signed by a CA named in ca_file is reached, with SNI set to its host name', async () => {
  const files = makeCertificates('localhost');
  const upstream = await startHttpsUpstream(files);
  const r = await chat(await gatewayFor('trusted', { port: upstream.port, caFile: files.ca }));
  assert.equal(r.status, 200);
  assert.equal(r.body.choices[0].message.content, 'over verified TLS');
  assert.deepEqual(upstream.seen.servernames, ['localhost']);
});

test('an upstream whose CA is not trusted is refused with 502 and gets no request', async () => {
  const files = makeCertificates('localhost');
  const upstream = await startHttpsUpstream(files);
  const r = await chat(await gatewayFor('untrusted', { port: upstream.port }));
  assert.equal(r.status, 502);
  assert.equal(r.body.error.type !== undefined, true);
  assert.equal(upstream.seen.requests, 0);
});

test('a trusted certificate for another host name is refused with 502', async () => {
  const files = makeCertificates('other.example');
  const upstream = await startHttpsUpstream(files);
  const r = await chat(await gatewayFor('wrong-name', { port: upstream.port, caFile: files.ca }));
  assert.equal(r.status, 502);
  assert.equal(upstream.seen.requests, 0);
});
