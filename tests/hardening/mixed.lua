-- Mixed CORS load for wrk (tests/hardening/test_soak.py). Every request carries
-- "X-Req: <n>", which the server echoes in every response, 204 and 403 included
-- (`Header always set X-Req "expr=%{req:X-Req}" early` in the server configuration), so that
-- each response is counted against the class and expected status of its request.
-- done() prints, per request class and status, how many responses were seen, then
-- the socket errors:
--   SOAK class=<class> status=<status> count=<n> expected=<status>
--   SOAK errors connect=.. read=.. write=.. timeout=.. requests=.. unpaired=..
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local reqs, next_req

local function add(class, expect, method, path, headers)
  local lines = { method .. " " .. path .. " HTTP/1.1", "Host: " .. wrk.host .. ":" .. wrk.port,
                  "X-Req: " .. (#reqs + 1) }
  for _, h in ipairs(headers) do lines[#lines + 1] = h[1] .. ": " .. h[2] end
  reqs[#reqs + 1] = { class = class, expect = expect, raw = table.concat(lines, "\r\n") .. "\r\n\r\n" }
end

local PARTNER = "https://partner.example"

function init(args)
  reqs = {}
  counts, unpaired = {}, 0
  local s = "/s/partner/static.txt"
  local acrh = {}
  for i = 1, 1000 do acrh[#acrh + 1] = "h" .. i end
  -- allowed actual requests
  add("allowed", 200, "GET", s, { { "Origin", PARTNER } })
  add("allowed", 200, "POST", s .. "?x", { { "Origin", "HTTPS://PARTNER.EXAMPLE:443" }, { "Content-Length", "0" } })
  add("allowed", 200, "GET", "/s/star/static.txt", { { "Origin", "https://any.example" } })
  -- refused actual requests
  add("refused", 403, "GET", s, { { "Origin", "https://evil.test" } })
  add("refused", 403, "POST", s, { { "Origin", "null" }, { "Content-Length", "0" } })
  -- preflights
  add("preflight", 204, "OPTIONS", s, { { "Origin", PARTNER }, { "Access-Control-Request-Method", "PUT" },
                                       { "Access-Control-Request-Headers", "X-Custom-Header, content-type" } })
  add("preflight", 403, "OPTIONS", s, { { "Origin", PARTNER }, { "Access-Control-Request-Method", "PATCH" } })
  -- no Origin
  add("none", 200, "GET", s, {})
  add("none", 200, "GET", "/s/star/static.txt", {})
  -- hostile
  add("hostile", 403, "GET", s, { { "Origin", "https://" .. string.rep("a", 7000) .. ".example" } })
  add("hostile", 403, "GET", s, { { "Origin", "https://partner.example.evil.test" } })
  add("hostile", 403, "GET", s, { { "Origin", "https://partner.example@evil.test" } })
  add("hostile", 403, "GET", s, { { "Origin", PARTNER }, { "Origin", PARTNER } })
  add("hostile", 403, "GET", s, { { "Origin", "https://b\xc3\xbccher.example" } })
  add("hostile", 403, "GET", "/s/redos/static.txt", { { "Origin", "https://" .. string.rep("a", 60) .. "-.partner.example" } })
  add("hostile", 204, "OPTIONS", s, { { "Origin", PARTNER }, { "Access-Control-Request-Method", "GET" },
                                     { "Access-Control-Request-Headers", string.rep(",", 6000) } })
  add("hostile", 403, "OPTIONS", "/s/star/static.txt", { { "Origin", PARTNER }, { "Access-Control-Request-Method", "GET" },
                                                        { "Access-Control-Request-Headers", table.concat(acrh, ",") } })
  next_req = (id or 1) % #reqs
end

function request()
  next_req = next_req % #reqs + 1
  return reqs[next_req].raw
end

function response(status, headers, body)
  local r = reqs[tonumber(headers["X-Req"] or "")]
  if r == nil then
    unpaired = unpaired + 1
    return
  end
  local key = r.class .. " " .. status .. " " .. r.expect
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total, lost = {}, 0
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
    lost = lost + t:get("unpaired")
  end
  for k, v in pairs(total) do
    local class, status, expect = k:match("(%S+) (%S+) (%S+)")
    io.write(string.format("SOAK class=%s status=%s count=%d expected=%s\n", class, status, v, expect))
  end
  local e = summary.errors
  io.write(string.format("SOAK errors connect=%d read=%d write=%d timeout=%d requests=%d unpaired=%d\n",
                         e.connect, e.read, e.write, e.timeout, summary.requests, lost))
end
