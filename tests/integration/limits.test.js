// Connection-level limits: a client that trickles its headers (slowloris) is cut off after
// header_timeout_ms (dropped without a response), an idle keep-alive connection is closed after idle_timeout_ms,
// oversized headers get 431, and connections beyond max_connections are refused at accept.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { useEnvironment } from './lib/harness.js';

const HEADER_TIMEOUT_MS = 700;
const IDLE_TIMEOUT_MS = 800;
const MAX_CONNECTIONS = 4;
const ctx = useEnvironment({
  server: {
    header_timeout_ms: HEADER_TIMEOUT_MS,
    idle_timeout_ms: IDLE_TIMEOUT_MS,
    max_header_bytes: 4096,
    max_connections: MAX_CONNECTIONS,
  },
});

// Opens a raw connection; resolves {socket, closed} where `closed` resolves with
// {at, data} once the server closes it.
async function connect() {
  const socket = net.connect(ctx.gateway.port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let data = '';
  socket.on('data', (chunk) => {
    data += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.on('close', () => resolve({ at: Date.now(), data })));
  return { socket, closed };
}

test('a client trickling its headers is cut off after header_timeout_ms', async () => {
  const { socket, closed } = await connect();
  const started = Date.now();
  socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
  // One header byte every 100 ms would keep a naive server waiting forever.
  const trickle = setInterval(() => socket.write('X'), 100);
  const result = await closed;
  clearInterval(trickle);
  const elapsed = result.at - started;
  assert.ok(elapsed >= HEADER_TIMEOUT_MS - 50, `closed after ${elapsed} ms`);
  assert.ok(elapsed < HEADER_TIMEOUT_MS + 1500, `closed after ${elapsed} ms`);
  assert.equal(result.data, '', 'a request that never finished gets no response');
});

test('an idle keep-alive connection is closed after idle_timeout_ms', async () => {
  const { socket, closed } = await connect();
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const started = Date.now();
  const result = await closed;
  const elapsed = result.at - started;
  assert.match(result.data, /^HTTP\/1\.1 200 /);
  assert.ok(elapsed >= IDLE_TIMEOUT_MS - 50 && elapsed < IDLE_TIMEOUT_MS + 1500, `closed after ${elapsed} ms`);
});

test('headers larger than max_header_bytes get 431', async () => {
  const { socket, closed } = await connect();
  socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8192)}\r\n\r\n`);
  const result = await closed;
  assert.match(result.data, /^HTTP\/1\.1 431 /);
});

test('connections beyond max_connections are closed at once; capacity returns when they go', async () => {
  const held = [];
  for (let i = 0; i < MAX_CONNECTIONS; i += 1) {
    const connection = await connect();
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    held.push(connection);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const extra = await connect();
  extra.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const refused = await extra.closed;
  assert.equal(refused.data, '', 'the extra connection got no response');
  for (const connection of held) connection.socket.destroy();
  await Promise.all(held.map((c) => c.closed));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const r = await fetch(`${ctx.url}/healthz`);
  assert.equal(r.status, 200);
});
