-- SPDX-License-Identifier: Apache-2.0
-- wrk script for bench/api/run.sh: POST manual credits, each request with a
-- unique source_id ("bench-RUN-THREAD-N"), counting the 201s each thread
-- saw and remembering their source ids, so run.sh can check after a
-- kill -9 that every acknowledged write is in the ledger.
--
-- Arguments (after --): RUN (a tag for the source ids) and, optionally, a
-- file to which the acknowledged source ids are written, one per line.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or "run"
  out = args[2]
  n = 0
  ok = 0
  bad = 0
  acked = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local body = string.format('{"minutes":1,"reason":"bench","source_id":"bench-%s-%d-%d"}',
                             run, tid, n)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then
    ok = ok + 1
    if out then
      local sid = string.match(body, '"source_id":"([^"]+)"')
      acked[#acked + 1] = sid
    end
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad = 0, 0
  -- done() runs in the main Lua state: init()'s globals live in the threads.
  local out = threads[1] and threads[1]:get("out")
  local f = out and io.open(out, "w")
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("bad")
    if f then
      for _, sid in ipairs(t:get("acked")) do f:write(sid, "\n") end
    end
  end
  if f then f:close() end
  io.write(string.format("acknowledged (201): %d, other statuses: %d\n", total_ok, total_bad))
end
