// An OpenAI API double speaking the documented wire format of
//   POST /v1/chat/completions  (chat.completion objects; SSE chat.completion.chunk streams)
//   POST /v1/embeddings        (list of embedding objects; float or base64 encoding)
//   GET  /v1/models, GET /v1/models/{id}
// Errors are {"error":{"message","type","param","code"}} with the matching HTTP status.
// Authentication: `Authorization: Bearer <apiKey>`; anything else gets a 401 in OpenAI's dialect.
// Behaviour is scripted by the requested model name: see behaviourFor() in server_util.js.
import {
  behaviourFor,
  countWords,
  fragments,
  sendJson,
  sleep,
  startRecordingServer,
  startSse,
} from './server_util.js';

export const OPENAI_REPLY = 'Hello from the OpenAI double.';
export const OPENAI_REPLY_PIECES = ['Hello', ' from', ' the', ' OpenAI', ' double.'];
export const TOOL_ARGUMENTS = { location: 'Paris', unit: 'celsius' };
// Headers the double sends with every 429 (real OpenAI sends these names).
export const OPENAI_RATE_LIMIT_HEADERS = {
  'retry-after': '1',
  'x-ratelimit-limit-requests': '4321',
  'x-ratelimit-remaining-requests': '0',
  'x-ratelimit-reset-requests': '1s',
  'x-ratelimit-limit-tokens': '98765',
  'x-ratelimit-remaining-tokens': '12',
  'x-ratelimit-reset-tokens': '850ms',
};

function openaiError(message, type, { param = null, code = null } = {}) {
  return { error: { message, type, param, code } };
}

const unixNow = () => Math.floor(Date.now() / 1000);

/** Usage the double reports for a chat request: derived from the prompt so each request differs. */
function chatUsage(body, completionTokens) {
  const prompt = 7 + countWords(body.messages);
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Validation the real API applies that matters for a gateway's translations. */
function validateChat(body) {
  if (typeof body.model !== 'string' || body.model === '') {
    return openaiError('you must provide a model parameter', 'invalid_request_error');
  }
  if (!Array.isArray(body.messages)) {
    return openaiError("Missing required parameter: 'messages'.", 'invalid_request_error', {
      param: 'messages',
      code: 'missing_required_parameter',
    });
  }
  if (body.messages.length === 0) {
    return openaiError("Invalid 'messages': empty array.", 'invalid_request_error', {
      param: 'messages',
      code: 'empty_array',
    });
  }
  if (body.stream_options != null && body.stream !== true) {
    return openaiError(
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      'invalid_request_error',
      { param: 'stream_options', code: null },
    );
  }
  const validRoles = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
  let openToolCalls = new Set();
  for (const [i, m] of body.messages.entries()) {
    if (!m || !validRoles.has(m.role)) {
      return openaiError(`Invalid value: '${m && m.role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        'invalid_request_error', { param: `messages[${i}].role`, code: 'invalid_value' });
    }
    if (m.role === 'tool') {
      if (!openToolCalls.has(m.tool_call_id)) {
        return openaiError(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          'invalid_request_error', { param: `messages.[${i}].role`, code: null });
      }
    } else {
      openToolCalls = new Set();
    }
    if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
      openToolCalls = new Set(m.tool_calls.map((c) => c.id));
    }
  }
  if (body.tools != null) {
    if (!Array.isArray(body.tools)) {
      return openaiError("Invalid type for 'tools'", 'invalid_request_error', { param: 'tools', code: 'invalid_type' });
    }
    for (const [i, t] of body.tools.entries()) {
      if (t.type !== 'function' || !t.function || typeof t.function.name !== 'string') {
        return openaiError(`Missing required parameter: 'tools[${i}].function'.`, 'invalid_request_error',
          { param: `tools[${i}].function`, code: 'missing_required_parameter' });
      }
    }
  }
  return null;
}

/** What leak-secret streams: an AWS access key id split across two chunks. */
export const LEAKED_SECRET = 'AKIAQ3EGRJ5QZ2L7XKTM';
export const LEAKED_SECRET_PIECES = ['Your key is ', 'AKIAQ3EGRJ', '5QZ2L7XKTM', ' keep it safe.'];

function lastUserText(body) {
  const user = [...body.messages].reverse().find((m) => m.role === 'user');
  if (!user) return '';
  if (typeof user.content === 'string') return user.content;
  return (user.content || []).filter((p) => p.type === 'text').map((p) => p.text).join('');
}

/**
 * `apiKey` is the key the double accepts; `acceptKeys` (and double.acceptKey(k) later) adds
 * more, for gateways that forward a different key per tenant. Every record keeps the headers,
 * so a test can see which key a request came with.
 */
export async function startOpenAIDouble({ apiKey = 'sk-upstream-openai-double', acceptKeys = [] } = {}) {
  let double;
  const accepted = new Set([apiKey, ...acceptKeys]);

  async function handleChat(record, res) {
    const body = record.body;
    const invalid = validateChat(body);
    if (invalid) return sendJson(record, res, 400, invalid);

    const behaviour = behaviourFor(body.model);
    record.behaviour = behaviour.kind;
    switch (behaviour.kind) {
      case 'fail-500':
        return sendJson(record, res, 500, openaiError(
          'The server had an error while processing your request. Sorry about that!', 'server_error'));
      case 'fail-400':
        return sendJson(record, res, 400, openaiError(
          "Invalid 'messages[0].content': string too long (double: fail-400).", 'invalid_request_error',
          { param: 'messages[0].content', code: 'string_above_max_length' }));
      case 'overloaded':
        return sendJson(record, res, 503, openaiError(
          'The engine is currently overloaded, please try again later.', 'server_error'));
      case 'rate-limited':
        return sendJson(record, res, 429, openaiError(
          'Rate limit reached for requests per min (RPM): Limit 4321, Used 4321, Requested 1. Please try again in 1s.',
          'requests', { code: 'rate_limit_exceeded' }), OPENAI_RATE_LIMIT_HEADERS);
      case 'hang':
        double.holdOpen(res);
        return undefined;
      default:
        break;
    }

    const id = `chatcmpl-dbl${record.seq}`;
    const created = unixNow();
    const isTool = behaviour.kind === 'tool-call';
    const toolName = (body.tools && body.tools[0] && body.tools[0].function.name) || 'get_weather';
    const toolCallId = `call_dbl${record.seq}`;
    const argumentsText = JSON.stringify(TOOL_ARGUMENTS);
    let pieces = OPENAI_REPLY_PIECES;
    if (behaviour.kind === 'slow-stream') {
      pieces = Array.from({ length: behaviour.chunks }, (_, i) => `tok${i} `);
    } else if (behaviour.kind === 'echo') {
      const text = lastUserText(body);
      pieces = fragments(text, Math.max(1, Math.ceil(text.length / 4)));
    } else if (behaviour.kind === 'leak-secret') {
      pieces = LEAKED_SECRET_PIECES;
    }
    const completionTokens = isTool ? 9 : pieces.length;
    const usage = chatUsage(body, completionTokens);
    record.reportedUsage = { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens };

    if (body.stream !== true) {
      const message = isTool
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: toolCallId, type: 'function', function: { name: toolName, arguments: argumentsText } }],
            refusal: null,
            annotations: [],
          }
        : { role: 'assistant', content: pieces.join(''), refusal: null, annotations: [] };
      return sendJson(record, res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: isTool ? 'tool_calls' : 'stop' }],
        usage,
        service_tier: 'default',
        system_fingerprint: 'fp_double',
      }, { 'x-request-id': `req_dbl${record.seq}`, 'openai-processing-ms': '5' });
    }

    // Streaming: data-only SSE, every chunk a chat.completion.chunk; usage: null on every chunk
    // and a final choices: [] chunk with usage when stream_options.include_usage is set.
    const includeUsage = !!(body.stream_options && body.stream_options.include_usage);
    record.usageSent = includeUsage; // a stream only reports usage when asked to
    startSse(record, res, { 'x-request-id': `req_dbl${record.seq}` });
    record.chunksSent = 0;
    record.streamCompleted = false;
    const send = (choices, extra = {}) => {
      const chunk = {
        id, object: 'chat.completion.chunk', created, model: body.model,
        service_tier: 'default', system_fingerprint: 'fp_double', choices,
      };
      if (includeUsage) chunk.usage = null;
      Object.assign(chunk, extra);
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      record.chunksSent += 1;
    };
    const choice = (delta, finishReason = null) => ({ index: 0, delta, logprobs: null, finish_reason: finishReason });
    const alive = () => !res.destroyed && !record.closedByPeer;

    if (isTool) {
      send([choice({ role: 'assistant', content: null, tool_calls: [
        { index: 0, id: toolCallId, type: 'function', function: { name: toolName, arguments: '' } },
      ], refusal: null })]);
      for (const part of fragments(argumentsText, 5)) {
        send([choice({ tool_calls: [{ index: 0, function: { arguments: part } }] })]);
      }
      send([choice({}, 'tool_calls')]);
    } else {
      if (behaviour.kind === 'slow-start') {
        await sleep(behaviour.firstEventDelayMs);
        if (!alive()) return undefined;
      }
      send([choice({ role: 'assistant', content: '', refusal: null })]);
      if (behaviour.kind === 'break-stream') {
        send([choice({ content: pieces[0] })]);
        send([choice({ content: pieces[1] })]);
        await sleep(50);
        res.destroy(); // the upstream dies mid-stream: no finish_reason, no [DONE]
        return undefined;
      }
      for (const piece of pieces) {
        if (behaviour.kind === 'slow-stream') {
          await sleep(behaviour.intervalMs);
          if (!alive()) return undefined;
        }
        send([choice({ content: piece })]);
      }
      send([choice({}, 'stop')]);
    }
    if (includeUsage) send([], { usage });
    res.write('data: [DONE]\n\n');
    record.streamCompleted = true;
    res.end();
    return undefined;
  }

  function handleEmbeddings(record, res) {
    const body = record.body;
    if (typeof body.model !== 'string') {
      return sendJson(record, res, 400, openaiError('you must provide a model parameter', 'invalid_request_error'));
    }
    if (body.input == null) {
      return sendJson(record, res, 400, openaiError("Missing required parameter: 'input'.", 'invalid_request_error',
        { param: 'input', code: 'missing_required_parameter' }));
    }
    const behaviour = behaviourFor(body.model);
    if (behaviour.kind === 'fail-500') {
      return sendJson(record, res, 500, openaiError('The server had an error while processing your request.', 'server_error'));
    }
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') {
      return sendJson(record, res, 400, openaiError(`Invalid value: '${format}'. Supported values are: 'float' and 'base64'.`,
        'invalid_request_error', { param: 'encoding_format', code: 'invalid_value' }));
    }
    let inputs;
    if (typeof body.input === 'string') inputs = [body.input];
    else if (Array.isArray(body.input) && body.input.every((x) => typeof x === 'number')) inputs = [body.input];
    else inputs = body.input;
    const dims = body.dimensions ?? 8;
    let promptTokens = 0;
    const data = inputs.map((input, index) => {
      promptTokens += typeof input === 'string' ? Math.max(1, countWords(input)) : input.length;
      const vector = Array.from({ length: dims }, (_, j) => Number(((index + 1) * 0.125 + j * 0.0625).toFixed(4)));
      const embedding = format === 'base64'
        ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
        : vector;
      return { object: 'embedding', index, embedding };
    });
    record.reportedUsage = { input_tokens: promptTokens, output_tokens: 0 };
    record.vectors = data.length;
    return sendJson(record, res, 200, {
      object: 'list', data, model: body.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  }

  const MODELS = ['upstream-gpt', 'upstream-embed', 'not-configured-upstream-model'];

  double = await startRecordingServer('openai', async (record, req, res) => {
    const auth = record.headers.authorization;
    if (!auth) {
      return sendJson(record, res, 401, openaiError(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'invalid_request_error'));
    }
    if (!auth.startsWith('Bearer ') || !accepted.has(auth.slice('Bearer '.length))) {
      return sendJson(record, res, 401, openaiError(
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error', { code: 'invalid_api_key' }));
    }
    if (record.method === 'POST' && (record.path === '/v1/chat/completions' || record.path === '/v1/embeddings')) {
      if (record.bodyError || record.body === undefined || typeof record.body !== 'object' || Array.isArray(record.body)) {
        return sendJson(record, res, 400, openaiError(
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
          'invalid_request_error'));
      }
      return record.path === '/v1/chat/completions' ? handleChat(record, res) : handleEmbeddings(record, res);
    }
    if (record.method === 'GET' && record.path === '/v1/models') {
      return sendJson(record, res, 200, {
        object: 'list',
        data: MODELS.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'double' })),
      });
    }
    const modelMatch = /^\/v1\/models\/(.+)$/.exec(record.path);
    if (record.method === 'GET' && modelMatch) {
      const id = decodeURIComponent(modelMatch[1]);
      if (!MODELS.includes(id)) {
        return sendJson(record, res, 404, openaiError(`The model '${id}' does not exist`, 'invalid_request_error',
          { param: 'model', code: 'model_not_found' }));
      }
      return sendJson(record, res, 200, { id, object: 'model', created: 1700000000, owned_by: 'double' });
    }
    return sendJson(record, res, 404, openaiError(`Invalid URL (${record.method} ${record.path})`, 'invalid_request_error'));
  });
  double.apiKey = apiKey;
  double.acceptKey = (key) => accepted.add(key);
  /** The API key (after `Bearer `) a record came with, or null. */
  double.keyOf = (record) => {
    const a = record.headers.authorization;
    return a && a.startsWith('Bearer ') ? a.slice('Bearer '.length) : null;
  };
  /** The base_url a gatehouse provider of type "openai" should use. */
  double.baseUrl = `${double.origin}/v1`;
  return double;
}
