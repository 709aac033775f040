-- wrk script: non-streamed OpenAI Chat Completions (model "bench"). See common.lua.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").configure(false)
