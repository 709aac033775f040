// Helpers to drive the real gatehouse binary: write a TOML config, start `gatehouse serve`, wait
// for its "listening on" line, use the keys/usage CLI, and stop it with SIGTERM.
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../..');
export const GATEHOUSE_BIN =
  process.env.GATEHOUSE_BIN || path.join(REPO_ROOT, 'build/apps/gatehouse/gatehouse');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Like sleep, but does not keep the process alive (for the losing side of a Promise.race). */
export const deadline = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());

export function assertBinaryExists() {
  if (!fs.existsSync(GATEHOUSE_BIN)) {
    throw new Error(
      `gatehouse binary not found at ${GATEHOUSE_BIN}: build it (cmake --build build) or set GATEHOUSE_BIN`,
    );
  }
}

/**
 * An environment with no master key from outside: the server and CLI run in development mode
 * (master.key generated in the data dir, which both share), whatever the caller's shell has set.
 */
export const DEV_MODE_ENV = {
  GATEHOUSE_MASTER_KEY: '', GATEHOUSE_MASTER_KEY_FILE: '', GATEHOUSE_MASTER_KEY_PREVIOUS: '',
  GATEHOUSE_MASTER_KEY_PREVIOUS_FILE: '', GATEHOUSE_ENV: '',
};

/** A fresh temporary directory; removed by removeTempDir unless GATEHOUSE_KEEP_TMP is set. */
export function makeTempDir(prefix = 'gatehouse-it-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeTempDir(dir) {
  if (dir && !process.env.GATEHOUSE_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// TOML
// ---------------------------------------------------------------------------------------------

function tomlScalar(value) {
  if (typeof value === 'string') return JSON.stringify(value); // JSON strings are TOML basic strings
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`non-integer TOML value ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw new Error(`unsupported TOML value ${JSON.stringify(value)}`);
}

const isTable = (v) => v && typeof v === 'object' && !Array.isArray(v);
const isTableArray = (v) => Array.isArray(v) && v.length > 0 && v.every(isTable);

function renderTable(lines, prefix, table) {
  for (const [key, value] of Object.entries(table)) {
    if (value === undefined || isTable(value) || isTableArray(value)) continue;
    if (Array.isArray(value)) lines.push(`${key} = [${value.map(tomlScalar).join(', ')}]`);
    else lines.push(`${key} = ${tomlScalar(value)}`);
  }
  for (const [key, value] of Object.entries(table)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (isTable(value)) {
      lines.push('', `[${name}]`);
      renderTable(lines, name, value);
    } else if (isTableArray(value)) {
      for (const item of value) {
        lines.push('', `[[${name}]]`);
        renderTable(lines, name, item);
      }
    }
  }
}

/** Renders the gatehouse config shape ({server, routing, providers, models, ...}) as TOML. */
export function renderToml(config) {
  const lines = [];
  renderTable(lines, '', config);
  return `${lines.join('\n').trim()}\n`;
}

/**
 * The configuration most test files use: provider "oa" (type openai) on the OpenAI double with
 * its key in the OA_KEY environment variable, provider "an" (type anthropic) on the Anthropic
 * double with its key in a file. `models` maps caller model names to deployment lists.
 */
export function baseConfig({ openai, anthropic, dir, models, server = {}, routing = {} }) {
  const providers = [];
  if (openai) {
    providers.push({ name: 'oa', type: 'openai', base_url: openai.baseUrl, api_key_env: 'OA_KEY' });
  }
  if (anthropic) {
    const keyFile = path.join(dir, 'anthropic.key');
    fs.writeFileSync(keyFile, anthropic.apiKey, { mode: 0o600 });
    providers.push({ name: 'an', type: 'anthropic', base_url: anthropic.baseUrl, api_key_file: keyFile });
  }
  return {
    server: {
      listen: '127.0.0.1:0',
      max_body_bytes: 4194304,
      header_timeout_ms: 10000,
      idle_timeout_ms: 60000,
      max_connections: 1024,
      ...server,
    },
    routing: { max_attempts: 2, retry_backoff_ms: 50, ...routing },
    providers,
    models: Object.entries(models).map(([name, deployments]) => ({
      name,
      deployments: deployments.map((d) => ({ weight: 1, timeout_ms: 2000, ...d })),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

const LISTENING = /listening on (https?):\/\/(127\.0\.0\.1|localhost|\[[^\]]+\]|[\d.]+):(\d+)/;

/**
 * Starts `gatehouse serve --config FILE --data-dir DIR` and resolves once it printed its
 * "listening on" line. `config` is an object (rendered to TOML) or a TOML string.
 */
export async function startGateway({ config, dataDir, dir, env = {}, startTimeoutMs = 15000 }) {
  assertBinaryExists();
  const configFile = path.join(dir, `gatehouse-${crypto.randomBytes(3).toString('hex')}.toml`);
  fs.writeFileSync(configFile, typeof config === 'string' ? config : renderToml(config));
  const child = spawn(GATEHOUSE_BIN, ['serve', '--config', configFile, '--data-dir', dataDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = { stdout: '', stderr: '' };
  const keep = (which) => (chunk) => {
    logs[which] += chunk.toString('utf8');
    if (logs[which].length > 2_000_000) logs[which] = logs[which].slice(-1_000_000);
  };
  child.stdout.on('data', keep('stdout'));
  child.stderr.on('data', keep('stderr'));
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`gatehouse did not print "listening on" within ${startTimeoutMs} ms\n` +
        `stdout: ${logs.stdout}\nstderr: ${logs.stderr}`));
    }, startTimeoutMs);
    const onData = () => {
      const m = LISTENING.exec(logs.stdout);
      if (m) {
        cleanup();
        resolve(`${m[1]}://${m[2]}:${m[3]}`);
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`gatehouse exited (code ${code}, signal ${signal}) before listening\n` +
        `stdout: ${logs.stdout}\nstderr: ${logs.stderr}`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    }
    child.stdout.on('data', onData);
    child.on('exit', onExit);
    onData();
  });

  let stopped;
  return {
    url,
    /** The super-admin key a first start prints once (null on later starts). */
    bootstrapKey: parseBootstrapKey(logs.stdout),
    port: Number(new URL(url).port),
    configFile,
    dataDir,
    process: child,
    logs,
    exited,
    /** All output so far (for diagnostics and for checking nothing secret was logged). */
    output() {
      return `${logs.stdout}\n${logs.stderr}`;
    },
    /** Sends SIGTERM and waits for the exit; resolves {code, signal}. Kills after timeoutMs. */
    async stop({ timeoutMs = 15000 } = {}) {
      if (!stopped) {
        stopped = (async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const result = await Promise.race([exited, deadline(timeoutMs, 'timeout')]);
          if (result === 'timeout') {
            child.kill('SIGKILL');
            await exited;
            return { code: null, signal: 'SIGKILL', timedOut: true };
          }
          return result;
        })();
      }
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

/**
 * Runs the gatehouse CLI; resolves {code, stdout, stderr} (never rejects on a non-zero exit).
 * `env` is added to this process's environment; `input` is written to its stdin (which is
 * always closed, so a command that reads stdin never waits).
 */
export function runCli(args, { timeoutMs = 10000, env = {}, input = '' } = {}) {
  assertBinaryExists();
  return new Promise((resolve) => {
    const child = execFile(GATEHOUSE_BIN, args, {
      timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env },
    }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, error: err });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Runs the CLI and throws unless it exits 0; resolves stdout. */
export async function cliOk(args, options) {
  const r = await runCli(args, options);
  if (r.code !== 0) {
    throw new Error(`gatehouse ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r.stdout;
}

/** `gatehouse ARGS --data-dir DIR --json`, parsed. Throws unless it exits 0. */
export async function cliJson(dataDir, args, options) {
  return JSON.parse(await cliOk([...args, '--data-dir', dataDir, '--json'], options));
}

const orgArgs = (org) => (org === undefined ? [] : ['--org', org]);

/**
 * `gatehouse keys create --json`: resolves the created key object ({id, name, key, org_id,
 * project_id, scopes, ...}). Options: org, project, scopes (array), expiresIn (seconds), env.
 */
export async function createKey(dataDir, name = `it-${crypto.randomBytes(3).toString('hex')}`,
  { org, project, scopes = [], expiresIn, env } = {}) {
  const args = ['keys', 'create', '--name', name, ...orgArgs(org)];
  if (project) args.push('--project', project);
  for (const s of scopes) args.push('--scope', s);
  if (expiresIn) args.push('--expires-in', String(expiresIn));
  return cliJson(dataDir, args, { env });
}

/** `gatehouse keys create` without --json: resolves the raw stdout (contract: only the key). */
export async function createKeyPlain(dataDir, name, { org, env } = {}) {
  return cliOk(['keys', 'create', '--name', name, ...orgArgs(org), '--data-dir', dataDir], { env });
}

export async function revokeKey(dataDir, id, { org, env } = {}) {
  return cliOk(['keys', 'revoke', id, ...orgArgs(org), '--data-dir', dataDir], { env });
}

/** `gatehouse keys list --json`: resolves the array of keys (the reply's `data`). */
export async function listKeys(dataDir, { org, env } = {}) {
  const reply = await cliJson(dataDir, ['keys', 'list', ...orgArgs(org)], { env });
  if (!reply || reply.object !== 'list' || !Array.isArray(reply.data)) {
    throw new Error(`keys list --json: not a list object: ${JSON.stringify(reply)}`);
  }
  return reply.data;
}

/** `gatehouse usage export --format jsonl|csv [--org O]`: resolves the raw stdout. */
export async function exportUsage(dataDir, format, { org, env } = {}) {
  return cliOk(['usage', 'export', '--format', format, ...orgArgs(org), '--data-dir', dataDir], { env });
}

export function parseJsonl(text) {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/** Polls the jsonl export until every id in requestIds has a record (bounded wait). */
export async function waitForUsage(dataDir, requestIds, { timeoutMs = 5000, org, env } = {}) {
  const until = Date.now() + timeoutMs;
  let records = [];
  for (;;) {
    records = parseJsonl(await exportUsage(dataDir, 'jsonl', { org, env }));
    const seen = new Set(records.map((r) => r.request_id));
    const missing = requestIds.filter((id) => !seen.has(id));
    if (missing.length === 0) return records;
    if (Date.now() > until) {
      throw new Error(`usage export has no record for ${missing.join(', ')} after ${timeoutMs} ms ` +
        `(it has ${records.length} records: ${records.map((r) => r.request_id).join(', ')})`);
    }
    await sleep(150);
  }
}

/** Minimal RFC 4180 CSV parser: resolves an array of rows (arrays of strings). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      rows.push(row); row = [];
    } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_PATTERN = /^gtk_[0-9A-Za-z]{16}[0-9A-Za-z]{43}[0-9A-Za-z]{6}$/;

export function randomBase62(n) {
  let out = '';
  for (let i = 0; i < n; i++) out += BASE62[crypto.randomInt(62)];
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(text) {
  let c = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function base62Fixed(value, width) {
  let out = '';
  let v = BigInt(value);
  for (let i = 0; i < width; i++) {
    out = BASE62[Number(v % 62n)] + out;
    v /= 62n;
  }
  return out;
}

export function splitKey(key) {
  return { id: key.slice(4, 20), secret: key.slice(20, 63), checksum: key.slice(63, 69) };
}

/**
 * Which string the 6-char checksum is a CRC-32 of, found from a real key (secret scanners'
 * convention is the whole token before the checksum; some schemes leave the prefix out).
 * Returns a function computing the checksum for (id, secret), or null when neither matches.
 */
export function checksumSchemeOf(realKey) {
  const { id, secret, checksum } = splitKey(realKey);
  const schemes = [
    (i, s) => base62Fixed(crc32(`gtk_${i}${s}`), 6),
    (i, s) => base62Fixed(crc32(`${i}${s}`), 6),
  ];
  return schemes.find((f) => f(id, secret) === checksum) ?? null;
}

/** A key with the given id and secret, with a valid checksum when the scheme is known. */
export function forgeKey(id, secret, scheme) {
  return `gtk_${id}${secret}${scheme ? scheme(id, secret) : randomBase62(6)}`;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------------

/**
 * One request on a fresh connection. Resolves {status, headers, text, json, socket info}.
 * `body` may be a string, Buffer or object (sent as JSON); `chunks` sends a chunked body.
 */
export function rawRequest(url, { method = 'GET', headers = {}, body, chunks, ca, timeoutMs = 15000, localAddress } = {}) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  let payload = body;
  if (payload !== undefined && !Buffer.isBuffer(payload) && typeof payload !== 'string') {
    payload = JSON.stringify(payload);
    headers = { 'content-type': 'application/json', ...headers };
  }
  return new Promise((resolve, reject) => {
    let responded = false;
    let settled = false;
    const settle = (fn, value) => {
      if (!settled) {
        settled = true;
        fn(value);
      }
    };
    const req = mod.request(u, { method, headers, agent: false, ca, servername: ca ? 'localhost' : undefined, localAddress }, (res) => {
      responded = true;
      const parts = [];
      const finish = (truncated) => {
        const text = Buffer.concat(parts).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        settle(resolve, {
          status: res.statusCode,
          headers: res.headers,
          text,
          json,
          truncated,
          tlsProtocol: res.socket && typeof res.socket.getProtocol === 'function' ? res.socket.getProtocol() : null,
          alpnProtocol: res.socket ? res.socket.alpnProtocol : undefined,
        });
      };
      res.on('data', (c) => parts.push(c));
      res.on('end', () => finish(false));
      res.on('error', () => finish(true));
      res.on('close', () => finish(!res.complete));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    // A server may answer (e.g. 413) and close before the whole body was written: once a
    // response has arrived, a write error is not the result.
    req.on('error', (err) => {
      if (!responded) settle(reject, err);
    });
    if (chunks) {
      (async () => {
        for (const c of chunks) {
          if (req.destroyed) return;
          if (!req.write(c)) await new Promise((r) => { req.once('drain', r); req.once('close', r); });
        }
        req.end();
      })().catch(() => {});
    } else {
      if (payload !== undefined) req.setHeader('content-length', Buffer.byteLength(payload));
      req.end(payload);
    }
  });
}

/** Headers for a caller of the OpenAI dialect / the Anthropic dialect. */
export const openaiHeaders = (key) => (key ? { authorization: `Bearer ${key}` } : {});
export const anthropicHeaders = (key) => ({
  ...(key ? { 'x-api-key': key } : {}),
  'anthropic-version': '2023-06-01',
});

/** A unique marker to put in prompts, so a test can find its own request at the doubles. */
export const marker = (label = 'm') => `${label}-${crypto.randomBytes(6).toString('hex')}`;

// ---------------------------------------------------------------------------------------------
// Admin API, tenancy and the data directory
// ---------------------------------------------------------------------------------------------

export const ADMIN_KEY_PATTERN = /^gha_[0-9A-Za-z]{65}$/;

/** The gha_ key from a first start's stdout ("Bootstrap super-admin key ...:" then the key). */
export function parseBootstrapKey(stdout) {
  const m = /Bootstrap super-admin key[^\n]*\n\s*(gha_[0-9A-Za-z]+)\s*\n/.exec(stdout);
  return m ? m[1] : null;
}

/**
 * One admin API call: METHOD /admin/v1PATH with `Authorization: Bearer KEY` (none when key is
 * null). Resolves rawRequest's {status, headers, text, json}.
 */
export function adminApi(baseUrl, key, method, path, body, { headers = {}, localAddress } = {}) {
  return rawRequest(`${baseUrl}/admin/v1${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body,
    localAddress,
  });
}

/** adminApi that throws unless the status is `expect` (a number or an array); resolves json. */
export async function adminOk(baseUrl, key, method, path, body, expect = [200, 201]) {
  const r = await adminApi(baseUrl, key, method, path, body);
  const want = Array.isArray(expect) ? expect : [expect];
  if (!want.includes(r.status)) {
    throw new Error(`${method} /admin/v1${path} answered ${r.status} (wanted ${want.join('/')}): ${r.text}`);
  }
  return r.json;
}

/** Polls `probe` (async, returns a truthy value when done) until it succeeds or time runs out. */
export async function waitFor(probe, { timeoutMs = 5000, intervalMs = 50, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > until) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Random recognisable secret-looking text: PREFIX + n base62 characters. */
export const randomSecret = (prefix = 'sk-live-', n = 40) => `${prefix}${randomBase62(n)}`;

/** Runs the sqlite3 shell on `dbPath` with `sql` on stdin; resolves {code, stdout, stderr}. */
export function sqlite(dbPath, sql, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve) => {
    const child = execFile('sqlite3', ['-bail', dbPath], { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, error: err });
      });
    child.stdin.on('error', () => {});
    child.stdin.end(sql);
  });
}

/** sqlite() that throws unless sqlite3 exits 0; resolves stdout. */
export async function sqliteOk(dbPath, sql) {
  const r = await sqlite(dbPath, sql);
  if (r.code !== 0) throw new Error(`sqlite3 ${dbPath} failed (${r.code}): ${r.stderr}\nSQL: ${sql}`);
  return r.stdout;
}

/** Rows of a SELECT as objects (sqlite3 -json); [] when there are none. */
export async function sqliteRows(dbPath, sql) {
  return new Promise((resolve, reject) => {
    const child = execFile('sqlite3', ['-json', '-bail', dbPath], { timeout: 10000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`sqlite3 -json ${dbPath} failed: ${stderr}\nSQL: ${sql}`));
        else resolve(stdout.trim() === '' ? [] : JSON.parse(stdout));
      });
    child.stdin.on('error', () => {});
    child.stdin.end(sql);
  });
}

/** The files of a data directory that hold its state (databases with their logs, secrets). */
export const DATA_DIR_FILES = ['gatehouse.db', 'gatehouse.db-wal', 'keyring.db', 'keyring.db-wal', 'pepper', 'master.key'];

/** Copies a (stopped) data directory's state files into a new directory `to`. */
export function copyDataDir(from, to, files = DATA_DIR_FILES) {
  fs.mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const name of files) {
    const src = path.join(from, name);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(to, name));
  }
  return to;
}

/** The raw bytes of every file in a data directory (databases, logs, ...), keyed by name. */
export function rawDataDirFiles(dir) {
  const out = {};
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isFile()) out[name] = fs.readFileSync(p);
  }
  return out;
}

/** Forms a secret may be stored in by mistake: as is, hex, base64 (standard and url-safe). */
export function secretEncodings(secret) {
  const b = Buffer.from(secret, 'utf8');
  return [
    ['utf8', b],
    ['hex', Buffer.from(b.toString('hex'), 'utf8')],
    ['HEX', Buffer.from(b.toString('hex').toUpperCase(), 'utf8')],
    ['base64', Buffer.from(b.toString('base64').replace(/=+$/, ''), 'utf8')],
    ['base64url', Buffer.from(b.toString('base64url'), 'utf8')],
    ['utf16le', Buffer.from(secret, 'utf16le')],
  ];
}
