// Per-file fixture: upstream doubles + a data dir with one API key + a running gateway, started
// in before() and torn down in after() (the gateway must exit 0 on SIGTERM).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { startAnthropicDouble } from '../doubles/anthropic_double.js';
import { startOpenAIDouble } from '../doubles/openai_double.js';
import { baseConfig, createKey, makeTempDir, removeTempDir, startGateway } from './gatehouse.js';

/** The models most files configure: caller name -> deployments. */
export const STANDARD_MODELS = {
  'gpt-test': [{ provider: 'oa', model: 'upstream-gpt' }],
  'gpt-tools': [{ provider: 'oa', model: 'tool-call' }],
  'embed-test': [{ provider: 'oa', model: 'upstream-embed' }],
  'claude-test': [{ provider: 'an', model: 'upstream-claude' }],
  'claude-tools': [{ provider: 'an', model: 'tool-call' }],
  // 10 chunks, one every 100 ms: for checking that streams are relayed as they are produced.
  'gpt-slow': [{ provider: 'oa', model: 'slow-stream-10', timeout_ms: 5000 }],
};

export function openaiClient(baseUrl, apiKey, options = {}) {
  return new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0, timeout: 20000, ...options });
}

export function anthropicClient(baseUrl, apiKey, options = {}) {
  return new Anthropic({ apiKey, baseURL: baseUrl, maxRetries: 0, timeout: 20000, ...options });
}

/**
 * Starts the doubles and a gateway whose config is built by `configure(ctx)` (or baseConfig).
 * `env` is added to the gateway's and the key-creating CLI's environment (e.g. DEV_MODE_ENV);
 * `keys: []` starts with no caller key (files that work through the bootstrap admin key).
 */
export async function startEnvironment(
  { models = STANDARD_MODELS, server, routing, configure, keys = ['main'], env = {}, prefix } = {},
  ctx = {},
) {
  ctx.dir = makeTempDir(prefix);
  ctx.dataDir = path.join(ctx.dir, 'data');
  fs.mkdirSync(ctx.dataDir);
  ctx.openai = await startOpenAIDouble();
  ctx.anthropic = await startAnthropicDouble();
  ctx.keys = {};
  for (const name of keys) ctx.keys[name] = await createKey(ctx.dataDir, name, { env });
  ctx.key = ctx.keys[keys[0]];
  const config = configure
    ? configure(ctx)
    : baseConfig({ openai: ctx.openai, anthropic: ctx.anthropic, dir: ctx.dir, models, server, routing });
  ctx.config = config;
  ctx.gateway = await startGateway({
    config, dataDir: ctx.dataDir, dir: ctx.dir, env: { ...env, OA_KEY: ctx.openai.apiKey },
  });
  ctx.url = ctx.gateway.url;
  ctx.oa = (key = ctx.key.key, options) => openaiClient(ctx.url, key, options);
  ctx.an = (key = ctx.key.key, options) => anthropicClient(ctx.url, key, options);
  return ctx;
}

export async function stopEnvironment(ctx) {
  if (!ctx) return;
  let exit;
  try {
    if (ctx.gateway) exit = await ctx.gateway.stop();
  } finally {
    if (ctx.openai) await ctx.openai.close();
    if (ctx.anthropic) await ctx.anthropic.close();
    removeTempDir(ctx.dir);
  }
  if (exit) {
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null },
      `gatehouse should exit 0 on SIGTERM; output:\n${ctx.gateway.output().slice(-4000)}`);
  }
}

/**
 * Registers before/after hooks for the current file and returns the (filled-in-later) context.
 * Tests read ctx.url, ctx.key, ctx.openai, ctx.anthropic, ctx.oa(), ctx.an(), ...
 */
export function useEnvironment(options) {
  const ctx = {};
  let starting;
  // ctx.ready() starts the environment once; another before() hook in the file may await it.
  // startEnvironment fills ctx as it goes, so after() can clean up a partial start.
  ctx.ready = () => (starting ??= startEnvironment(options, ctx));
  before(() => ctx.ready());
  after(async () => {
    await stopEnvironment(ctx);
  });
  return ctx;
}
