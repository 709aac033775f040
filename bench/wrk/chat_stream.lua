-- wrk script: streamed OpenAI Chat Completions ("stream":true, model "bench-stream"). See
-- common.lua.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").configure(true)
