-- wrk script: POST /v1/decisions with a fresh transaction each request (unique tx_id, so that
-- every request is a real decision, not a re-send), a realistic mix of kinds, 50,000 accounts,
-- a device per account with 1 in 50 payments from one of 100 shared devices.
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

local n = 0
local kinds = {"transfer", "p2p", "card_topup", "cash_withdrawal", "transfer", "p2p", "transfer", "salary"}
local bios = {"verified", "verified", "verified", "not_checked"}

function init(args)
  math.randomseed(1000 + tid)
end

request = function()
  n = n + 1
  local kind = kinds[math.random(#kinds)]
  local acct = math.random(50000)
  local from = "ACC-" .. acct
  local device = "DEV-" .. acct
  if math.random(50) == 1 then device = "SHARED-" .. math.random(100) end
  local to = "CARD-" .. math.random(50000)
  local amount = string.format("%d.%02d", math.random(1000, 700000), math.random(0, 99))
  local minute = n % 60
  local hour = math.floor(n / 60) % 24
  local extra = ""
  if kind == "cash_withdrawal" then
    extra = string.format(', "atm_id": "ATM-%d", "biometric": "%s"', math.random(500), bios[math.random(#bios)])
    to = nil
  elseif kind == "card_topup" and math.random(4) > 1 then
    extra = ', "sender_iin": "871008401427"'
  end
  local to_part = ""
  if to then to_part = string.format(', "to_account": "%s"', to) end
  local body = string.format(
    '{"tx_id": "W%d-%d", "timestamp": "2025-03-14T%02d:%02d:00+05:00", "kind": "%s", "from_account": "%s"%s, "amount": "%s", "currency": "KZT", "device_id": "%s"%s}',
    tid, n, hour, minute, kind, from, to_part, amount, device, extra)
  return wrk.format("POST", "/v1/decisions", {["Content-Type"] = "application/json"}, body)
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors < 5 then print("status " .. status .. ": " .. body) end
  end
end
