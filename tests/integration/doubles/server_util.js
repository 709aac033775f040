// Shared plumbing for the upstream doubles: a node:http server on 127.0.0.1:0 that records every
// request it receives, tracks its sockets (so a test can see whether the gateway closed one),
// and can be torn down even while requests hang.
import http from 'node:http';

let recordCounter = 0;

/** Reads the whole request body as a Buffer. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Starts a recording HTTP server. `handler(record, req, res)` answers; `record` is already in
 * `double.requests` with method, path, headers, rawBody, body (parsed JSON or undefined) and
 * bodyError (the JSON parse error, if any).
 *
 * Each record also gets `closedByPeer` (true when the client closed the connection before the
 * response finished) and `closedAt` / `finishedAt` timestamps, filled in as they happen.
 */
export async function startRecordingServer(name, handler) {
  const sockets = new Set();
  const requests = [];
  const pending = new Set(); // responses that a behaviour never ends ("hang")

  const server = http.createServer(async (req, res) => {
    const rawBody = await readBody(req).catch(() => Buffer.alloc(0));
    const url = new URL(req.url, 'http://double');
    const record = {
      seq: ++recordCounter,
      double: name,
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      rawBody: rawBody.toString('utf8'),
      body: undefined,
      bodyError: undefined,
      receivedAt: Date.now(),
      finishedAt: undefined,
      closedAt: undefined,
      closedByPeer: false,
      status: undefined,
    };
    if (rawBody.length > 0) {
      try {
        record.body = JSON.parse(record.rawBody);
      } catch (err) {
        record.bodyError = err;
      }
    }
    requests.push(record);
    res.on('finish', () => {
      record.finishedAt = Date.now();
    });
    res.on('close', () => {
      record.closedAt = Date.now();
      if (!res.writableFinished) record.closedByPeer = true;
      pending.delete(res);
    });
    try {
      await handler(record, req, res);
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `double crashed: ${err.message}` } }));
      } else {
        res.destroy(err);
      }
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 30_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    name,
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    /** Marks a response as intentionally left open (destroyed on close()). */
    holdOpen(res) {
      pending.add(res);
    },
    /** Requests whose raw body contains `needle` (a unique marker a test put in its prompt). */
    requestsContaining(needle) {
      return requests.filter((r) => r.rawBody.includes(needle));
    },
    /** Requests whose body.model is `model`. */
    requestsForModel(model) {
      return requests.filter((r) => r.body && r.body.model === model);
    },
    reset() {
      requests.length = 0;
    },
    async close() {
      for (const res of pending) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Writes a JSON response with the given status and extra headers. */
export function sendJson(record, res, status, body, headers = {}) {
  record.status = status;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Starts an SSE response. */
export function startSse(record, res, headers = {}) {
  record.status = 200;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  res.flushHeaders();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rough whitespace word count of all the text a chat/messages body carries. */
export function countWords(value) {
  let n = 0;
  const visit = (v) => {
    if (typeof v === 'string') {
      n += v.split(/\s+/).filter(Boolean).length;
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v && typeof v === 'object') {
      if (typeof v.text === 'string') visit(v.text);
      if (typeof v.content === 'string' || Array.isArray(v.content)) visit(v.content);
    }
  };
  visit(value);
  return n;
}

/** Splits a string into `parts` roughly equal consecutive fragments (all non-empty). */
export function fragments(text, parts) {
  const size = Math.ceil(text.length / parts);
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/**
 * Behaviour scripted by the requested model name. Model names the doubles understand:
 *   fail-500            -> HTTP 500 error in the provider's dialect
 *   fail-400            -> HTTP 400 invalid_request_error (a caller mistake: not retryable)
 *   overloaded          -> 503 (OpenAI) / 529 (Anthropic)
 *   rate-limited[-*]    -> 429 with retry-after and rate-limit headers
 *   hang[-*]            -> accepts the request and never answers
 *   slow-stream[-N]     -> N text chunks (default 100), one every 100 ms (stream only)
 *   slow-start          -> (stream only) the SSE headers at once, the first event 800 ms later
 *   tool-call[-*]       -> a tool call answer
 *   break-stream        -> (stream only) two text chunks, then the connection is destroyed
 *   anything else       -> a plain text answer
 */
export function behaviourFor(model) {
  if (typeof model !== 'string') return { kind: 'text' };
  if (model === 'fail-500') return { kind: 'fail-500' };
  if (model === 'fail-400') return { kind: 'fail-400' };
  if (model === 'overloaded') return { kind: 'overloaded' };
  if (model.startsWith('rate-limited')) return { kind: 'rate-limited' };
  if (model.startsWith('hang')) return { kind: 'hang' };
  const slow = /^slow-stream(?:-(\d+))?$/.exec(model);
  if (slow) return { kind: 'slow-stream', chunks: slow[1] ? Number(slow[1]) : 100, intervalMs: 100 };
  if (model === 'slow-start') return { kind: 'slow-start', firstEventDelayMs: 800 };
  if (model.startsWith('tool-call')) return { kind: 'tool-call' };
  if (model === 'break-stream') return { kind: 'break-stream' };
  // Answers with the last user message's text (streamed 4 characters a chunk), so tests see
  // exactly what the gateway forwarded come back through its output path.
  if (model === 'echo') return { kind: 'echo' };
  // Streams an answer with an AWS access key id split across two chunks.
  if (model === 'leak-secret') return { kind: 'leak-secret' };
  return { kind: 'text' };
}
