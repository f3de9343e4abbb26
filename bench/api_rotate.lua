-- api_rotate.lua — wrk script of bench/bench_api.sh: GET $PREFIX<address> with the addresses
-- of $ADDRS_FILE in turn (each wrk thread starts at another place), with the bearer $TOKEN.
local addrs = {}
for line in io.lines(os.getenv("ADDRS_FILE")) do
   if #line > 0 then addrs[#addrs + 1] = line end
end
local prefix = os.getenv("PREFIX")
local headers = {["Authorization"] = "Bearer " .. os.getenv("TOKEN")}
local i = 0
local started = 0

function setup(thread)
   thread:set("start", started)
   started = started + 7919
end

function init(args)
   i = start or 0
end

function request()
   i = i + 1
   return wrk.format("GET", prefix .. addrs[(i % #addrs) + 1], headers)
end
