// An Anthropic Messages API double speaking the documented wire format of POST /v1/messages:
// Message objects, and the streaming event sequence message_start, content_block_start, ping,
// content_block_delta (text_delta / input_json_delta), content_block_stop, message_delta (with
// cumulative usage), message_stop. Errors are {"type":"error","error":{"type","message"}}.
// Authentication: `x-api-key: <apiKey>` plus an `anthropic-version` header.
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

export const ANTHROPIC_REPLY = 'Hello from the Anthropic double.';
export const ANTHROPIC_REPLY_PIECES = ['Hello', ' from the', ' Anthropic', ' double.'];
export const ANTHROPIC_TOOL_PREAMBLE = 'Let me check the weather.';
export const ANTHROPIC_TOOL_INPUT = { location: 'Paris', unit: 'celsius' };
export const ANTHROPIC_RATE_LIMIT_HEADERS = {
  'retry-after': '1',
  'anthropic-ratelimit-requests-limit': '50',
  'anthropic-ratelimit-requests-remaining': '0',
  'anthropic-ratelimit-requests-reset': '2030-01-01T00:00:01Z',
};

function anthropicError(type, message) {
  return { type: 'error', error: { type, message } };
}

function textOfSystem(system) {
  if (system == null) return '';
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((b) => (b && b.type === 'text' ? b.text : '')).join('\n');
  return '';
}

/** The validation the real API applies that matters for a gateway's translations. */
function validateMessages(body) {
  const invalid = (message) => anthropicError('invalid_request_error', message);
  if (typeof body.model !== 'string' || body.model === '') return invalid('model: Field required');
  if (body.max_tokens === undefined) return invalid('max_tokens: Field required');
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    return invalid('max_tokens: Input should be a valid integer greater than or equal to 1');
  }
  if (!Array.isArray(body.messages)) return invalid('messages: Field required');
  if (body.messages.length === 0) return invalid('messages: at least one message is required');
  if (body.system != null && typeof body.system !== 'string' && !Array.isArray(body.system)) {
    return invalid('system: Input should be a valid string or list of text blocks');
  }
  if (body.stream_options !== undefined) return invalid('stream_options: Extra inputs are not permitted');
  let previousToolUseIds = new Set();
  for (const [i, m] of body.messages.entries()) {
    if (!m || (m.role !== 'user' && m.role !== 'assistant')) {
      return invalid(`messages.${i}.role: Unexpected role "${m && m.role}". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`);
    }
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (!Array.isArray(blocks)) return invalid(`messages.${i}.content: Input should be a valid list`);
    const toolResults = [];
    const toolUses = [];
    for (const [j, b] of blocks.entries()) {
      if (!b || typeof b.type !== 'string') return invalid(`messages.${i}.content.${j}.type: Field required`);
      if (b.type === 'text' && typeof b.text !== 'string') return invalid(`messages.${i}.content.${j}.text: Field required`);
      if (b.type === 'tool_use') {
        if (m.role !== 'assistant') return invalid(`messages.${i}.content.${j}: tool_use blocks are only allowed in assistant messages`);
        if (typeof b.id !== 'string' || typeof b.name !== 'string' || typeof b.input !== 'object' || b.input === null || Array.isArray(b.input)) {
          return invalid(`messages.${i}.content.${j}.tool_use: id, name and an object input are required`);
        }
        toolUses.push(b.id);
      }
      if (b.type === 'tool_result') {
        if (m.role !== 'user') return invalid(`messages.${i}.content.${j}: tool_result blocks are only allowed in user messages`);
        toolResults.push(b.tool_use_id);
      }
    }
    for (const id of toolResults) {
      if (!previousToolUseIds.has(id)) {
        return invalid(`messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
      }
    }
    if (previousToolUseIds.size > 0) {
      const answered = new Set(toolResults);
      for (const id of previousToolUseIds) {
        if (!answered.has(id)) {
          return invalid(`messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${id}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
        }
      }
    }
    previousToolUseIds = new Set(toolUses);
  }
  if (body.tools != null) {
    if (!Array.isArray(body.tools)) return invalid('tools: Input should be a valid list');
    for (const [i, t] of body.tools.entries()) {
      if (!t || typeof t.name !== 'string') return invalid(`tools.${i}.name: Field required`);
      if (!t.input_schema || typeof t.input_schema !== 'object') return invalid(`tools.${i}.input_schema: Field required`);
    }
  }
  return null;
}

export async function startAnthropicDouble({ apiKey = 'sk-ant-upstream-double' } = {}) {
  let double;

  async function handleMessages(record, res) {
    const body = record.body;
    const invalid = validateMessages(body);
    if (invalid) return sendJson(record, res, 400, invalid, { 'request-id': `req_dbl${record.seq}` });

    const behaviour = behaviourFor(body.model);
    record.behaviour = behaviour.kind;
    switch (behaviour.kind) {
      case 'fail-500':
        return sendJson(record, res, 500, anthropicError('api_error', 'Internal server error'));
      case 'fail-400':
        return sendJson(record, res, 400, anthropicError('invalid_request_error',
          'messages.0.content: prompt is too long (double: fail-400)'));
      case 'overloaded':
        return sendJson(record, res, 529, anthropicError('overloaded_error', 'Overloaded'));
      case 'rate-limited':
        return sendJson(record, res, 429, anthropicError('rate_limit_error',
          'Number of request tokens has exceeded your per-minute rate limit'), ANTHROPIC_RATE_LIMIT_HEADERS);
      case 'hang':
        double.holdOpen(res);
        return undefined;
      default:
        break;
    }

    const id = `msg_dbl${record.seq}`;
    const isTool = behaviour.kind === 'tool-call';
    const toolName = (body.tools && body.tools[0] && body.tools[0].name) || 'get_weather';
    const toolUseId = `toolu_dbl${record.seq}`;
    const pieces = behaviour.kind === 'slow-stream'
      ? Array.from({ length: behaviour.chunks }, (_, i) => `tok${i} `)
      : isTool ? [ANTHROPIC_TOOL_PREAMBLE] : ANTHROPIC_REPLY_PIECES;
    const inputTokens = 5 + countWords(body.messages) + countWords(textOfSystem(body.system));
    const outputTokens = isTool ? 21 : pieces.length + 1;
    record.reportedUsage = { input_tokens: inputTokens, output_tokens: outputTokens };
    const stopReason = isTool ? 'tool_use' : 'end_turn';
    const headers = { 'request-id': `req_dbl${record.seq}` };

    if (body.stream !== true) {
      const content = [{ type: 'text', text: pieces.join('') }];
      if (isTool) content.push({ type: 'tool_use', id: toolUseId, name: toolName, input: ANTHROPIC_TOOL_INPUT });
      return sendJson(record, res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: {
          input_tokens: inputTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: outputTokens,
          service_tier: 'standard',
        },
      }, headers);
    }

    startSse(record, res, headers);
    record.chunksSent = 0;
    record.streamCompleted = false;
    const alive = () => !res.destroyed && !record.closedByPeer;
    const send = (type, data) => {
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      record.chunksSent += 1;
    };
    send('message_start', {
      message: {
        id, type: 'message', role: 'assistant', model: body.model, content: [],
        stop_reason: null, stop_sequence: null,
        usage: { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1, service_tier: 'standard' },
      },
    });
    send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    send('ping', {});
    for (const piece of pieces) {
      if (behaviour.kind === 'slow-stream') {
        await sleep(behaviour.intervalMs);
        if (!alive()) return undefined;
      }
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
    }
    send('content_block_stop', { index: 0 });
    if (isTool) {
      send('content_block_start', { index: 1, content_block: { type: 'tool_use', id: toolUseId, name: toolName, input: {} } });
      send('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const part of fragments(JSON.stringify(ANTHROPIC_TOOL_INPUT), 4)) {
        send('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: part } });
      }
      send('content_block_stop', { index: 1 });
    }
    send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
    send('message_stop', {});
    record.streamCompleted = true;
    res.end();
    return undefined;
  }

  double = await startRecordingServer('anthropic', async (record, req, res) => {
    const headers = { 'request-id': `req_dbl${record.seq}` };
    if (record.headers['x-api-key'] !== apiKey) {
      return sendJson(record, res, 401, anthropicError('authentication_error', 'invalid x-api-key'), headers);
    }
    if (!record.headers['anthropic-version']) {
      return sendJson(record, res, 400, anthropicError('invalid_request_error', 'anthropic-version: header is required'), headers);
    }
    if (record.method === 'POST' && record.path === '/v1/messages') {
      if (record.bodyError || record.body === undefined || typeof record.body !== 'object' || Array.isArray(record.body)) {
        return sendJson(record, res, 400, anthropicError('invalid_request_error', 'There was an issue with the format of your request: invalid JSON'), headers);
      }
      return handleMessages(record, res);
    }
    return sendJson(record, res, 404, anthropicError('not_found_error', 'Not found'), headers);
  });
  double.apiKey = apiKey;
  /** The base_url a gatehouse provider of type "anthropic" should use. */
  double.baseUrl = double.origin;
  return double;
}
