-- One SMTP connection with one transaction, driven by miltertest -D variables, for MiltertestTests and
-- ReloadTests. Every step prints "ok   <what>" or "FAIL <what>" (miltertest exits 1 silently on a Lua error).
--
--   sock          milter socket, e.g. inet:8894@127.0.0.1                                   (required)
--   conn_ip       address for mt.conninfo: IPv4, IPv6 or "unspec" (no address at all)       (required)
--   client_addr   value of the {client_addr} connect macro; absent: the macro is not sent
--   daemon_addr   value of the {daemon_addr} connect macro; absent: not sent
--   auth          value of the {auth_authen} MAIL macro (may be empty); absent: not sent
--   qid           value of the "i" MAIL and RCPT macro; absent: not sent
--   rcpt1..N      recipients, raw as the MTA sends them (angle brackets included)
--   expect1..N    reply each must get: continue, replycode, reject or tempfail
--   hold_before   K: before rcptK (N+1: before disconnecting) print "ok   held" and wait for go_file
--   go_file       path whose existence releases the hold (waits at most hold_seconds, default 120: a test starved
--                 of its threads for half a minute by the suites beside it still releases it)

local function check(condition, what)
  if not condition then
    mt.echo("FAIL " .. what)
    error(what)
  end
  mt.echo("ok   " .. what)
end

local replies = {
  ["continue"] = SMFIR_CONTINUE,
  ["replycode"] = SMFIR_REPLYCODE,
  ["reject"] = SMFIR_REJECT,
  ["tempfail"] = SMFIR_TEMPFAIL,
}
local names = {}
for name, code in pairs(replies) do names[code] = name end

local function hold()
  check(go_file ~= nil, "go_file is set")
  mt.echo("ok   held")
  -- stdout is a file, hence fully buffered: the test reads "held" while the script waits.
  io.stdout:flush()
  local limit = os.time() + tonumber(hold_seconds or "120")
  while io.open(go_file) == nil do
    if os.time() > limit then check(false, "released by " .. go_file) end
    os.execute("sleep 0.05")
  end
  mt.echo("ok   released")
end

local conn = mt.connect(sock, 40, 0.25)
check(conn ~= nil, "connect " .. sock)
check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
-- No reply at connect, HELO and MAIL (SMFIP_NR_CONN/HELO/MAIL, 0x1000/0x2000/0x4000): miltertest then reads nothing
-- there and reports continue, as Postfix sends those with the first RCPT. RCPT (0x8000) and DATA (0x10000) are answered.
check(mt.test_option(conn, 0x1000) and mt.test_option(conn, 0x2000) and mt.test_option(conn, 0x4000),
  "no reply negotiated for connect, helo and mail")
check(not mt.test_option(conn, 0x8000) and not mt.test_option(conn, 0x10000), "rcpt and data answered")

local connect_macros = {}
if client_addr ~= nil then table.insert(connect_macros, "{client_addr}"); table.insert(connect_macros, client_addr) end
if daemon_addr ~= nil then table.insert(connect_macros, "{daemon_addr}"); table.insert(connect_macros, daemon_addr) end
table.insert(connect_macros, "j"); table.insert(connect_macros, "mx.test")
mt.macro(conn, SMFIC_CONNECT, (table.unpack or unpack)(connect_macros))
check(mt.conninfo(conn, "client.example", conn_ip) == nil and mt.getreply(conn) == SMFIR_CONTINUE,
  "conninfo " .. conn_ip)
check(mt.helo(conn, "helo.example") == nil and mt.getreply(conn) == SMFIR_CONTINUE, "helo")

local mail_macros = {}
if auth ~= nil then table.insert(mail_macros, "{auth_authen}"); table.insert(mail_macros, auth) end
if qid ~= nil then table.insert(mail_macros, "i"); table.insert(mail_macros, qid) end
if #mail_macros > 0 then mt.macro(conn, SMFIC_MAIL, (table.unpack or unpack)(mail_macros)) end
check(mt.mailfrom(conn, "<sender@example.org>") == nil and mt.getreply(conn) == SMFIR_CONTINUE, "mail")
if qid ~= nil then mt.macro(conn, SMFIC_RCPT, "i", qid) end

local hold_at = tonumber(hold_before or "0")
local index = 1
while _G["rcpt" .. index] ~= nil do
  if index == hold_at then hold() end
  local rcpt = _G["rcpt" .. index]
  local expected = _G["expect" .. index]
  check(replies[expected] ~= nil, "expect" .. index .. " is one of continue, replycode, reject, tempfail")
  check(mt.rcptto(conn, rcpt) == nil, "rcpt " .. rcpt .. " sent")
  local reply = mt.getreply(conn)
  check(reply == replies[expected], "rcpt " .. rcpt .. " -> " .. expected
    .. (reply == replies[expected] and "" or " (got " .. tostring(names[reply] or reply) .. ")"))
  index = index + 1
end
if index == hold_at then hold() end

check(mt.disconnect(conn) == nil, "disconnect")
