#!/usr/bin/env bash
# `make run`: start the gateway on the local default config, with a caller key ready.
set -euo pipefail
build_dir=${1:-build}
bin="$build_dir/apps/gatehouse/gatehouse"
config=config/gatehouse.toml

if ! "$bin" keys list --json --config "$config" | grep -q '"revoked_at":null'; then
  key=$("$bin" keys create --name local-dev --config "$config" 2>/dev/null)
  echo "Created a caller API key (shown only this once): $key"
else
  key='<your gtk_ key>'
  echo "Caller keys exist already; create another with: $bin keys create --name NAME --config $config"
fi
cat <<EOT

Gatehouse is starting on http://127.0.0.1:8080 (config: $config, data: ./data).
Provider keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY in this shell's environment.

Call it:
  curl http://127.0.0.1:8080/v1/chat/completions \\
    -H "Authorization: Bearer $key" -H "Content-Type: application/json" \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'

Or point an SDK at it: OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=$key

Admin API: http://127.0.0.1:8080/admin/v1 (OpenAPI at /admin/v1/openapi.json), with the
super-admin key the first start prints below; or the CLI: $bin orgs|projects|keys|providers|audit ...
Stop with Ctrl-C.

EOT
exec "$bin" serve --config "$config"
