-- Wireshark dissector for the Electrode / specpaxos VR wire format (SPEC.md section 2).
-- Decodes the framing, the 12-byte fast meta per message type, the kernel-made MyPrepareOK and
-- fragments (reassembled), and hands protobuf bodies to Wireshark's protobuf dissector with the
-- project's .proto files. Usage: see "Wireshark" in README.md.

local NONFRAG_MAGIC = 0x20050318
local FRAG_MAGIC = 0x20101010
local FAST_META_LEN = 12
local BROADCAST_BIT = 0x80000000
local MY_PREPARE_OK = "specpaxos.vr.MyPrepareOK"
local MAX_TYPE_LEN = 256          -- longer type names are not ours
local MAX_MESSAGE = 64 * 1024 * 1024 -- reassembly gives up above this total length

local p = Proto("electrode", "Electrode VR")

local f = {
  magic = ProtoField.uint32("electrode.magic", "Magic", base.HEX),
  type_len = ProtoField.uint64("electrode.type_len", "Type length"),
  type = ProtoField.string("electrode.type", "Type"),
  meta = ProtoField.bytes("electrode.meta", "Fast meta"),
  meta_view = ProtoField.uint32("electrode.meta.view", "View", base.DEC, nil, 0x7fffffff),
  meta_broadcast = ProtoField.bool("electrode.meta.broadcast", "Broadcast me", 32, nil, BROADCAST_BIT),
  meta_opnum = ProtoField.uint32("electrode.meta.opnum", "Opnum"),
  meta_batch_start = ProtoField.uint32("electrode.meta.batch_start", "Batch start"),
  meta_replica = ProtoField.uint32("electrode.meta.replica_idx", "Replica index"),
  meta_word = ProtoField.uint32("electrode.meta.word", "Meta word", base.HEX),
  data_len = ProtoField.uint64("electrode.data_len", "Body length"),
  body = ProtoField.bytes("electrode.body", "Body"),
  ok_view = ProtoField.uint64("electrode.myok.view", "View"),
  ok_opnum = ProtoField.uint64("electrode.myok.opnum", "Opnum"),
  ok_replica = ProtoField.uint32("electrode.myok.replica_idx", "Replica index"),
  frag_id = ProtoField.uint64("electrode.frag.id", "Message id"),
  frag_start = ProtoField.uint64("electrode.frag.start", "Fragment start"),
  frag_total = ProtoField.uint64("electrode.frag.total", "Total length"),
  frag_data = ProtoField.bytes("electrode.frag.data", "Fragment data"),
  frag_done = ProtoField.framenum("electrode.frag.reassembled_in", "Reassembled in"),
}
p.fields = f

local e_short = ProtoExpert.new("electrode.short", "Datagram too short for its header", expert.group.MALFORMED, expert.severity.ERROR)
local e_len = ProtoExpert.new("electrode.bad_length", "Length field does not match the datagram", expert.group.MALFORMED, expert.severity.ERROR)
p.experts = { e_short, e_len }

p.prefs.ports = Pref.range("UDP ports", "12345", "Replica ports (clients use ephemeral ports; the heuristic finds those)", 65535)

local protobuf = Dissector.get("protobuf")

-- Fragments by (source address, source port, message id): { total, parts = {start -> bytes}, have }.
local pending = {}
-- The reassembled message for the frame that completed it, by frame number.
local reassembled = {}

local function short_name(t) return t:match("([^.]+)$") or t end

-- Meta field names per message type (SPEC: fast meta by message).
local function add_meta(tree, tvb, type_name)
  local m = tree:add(f.meta, tvb)
  local n = short_name(type_name)
  if n == "PrepareMessage" then
    m:add_le(f.meta_view, tvb(0, 4)); m:add_le(f.meta_broadcast, tvb(0, 4))
    m:add_le(f.meta_opnum, tvb(4, 4)); m:add_le(f.meta_batch_start, tvb(8, 4))
  elseif n == "PrepareOKMessage" or n == "MyPrepareOK" then
    m:add_le(f.meta_view, tvb(0, 4)); m:add_le(f.meta_opnum, tvb(4, 4)); m:add_le(f.meta_replica, tvb(8, 4))
  elseif n == "CommitMessage" then
    m:add_le(f.meta_broadcast, tvb(0, 4)); m:add_le(f.meta_word, tvb(4, 4)); m:add_le(f.meta_word, tvb(8, 4))
  else
    for i = 0, 2 do m:add_le(f.meta_word, tvb(i * 4, 4)) end
  end
end

-- Dissects an unfragmented message starting after its magic; returns the type name or nil.
local function dissect_message(tvb, pinfo, tree)
  if tvb:len() < 8 then tree:add_proto_expert_info(e_short); return nil end
  local type_len = tvb(0, 8):le_uint64():tonumber()
  tree:add_le(f.type_len, tvb(0, 8))
  if type_len <= 0 or type_len > MAX_TYPE_LEN or 8 + type_len + FAST_META_LEN + 8 > tvb:len() then
    tree:add_proto_expert_info(e_len); return nil
  end
  local type_name = tvb(8, type_len):string()
  tree:add(f.type, tvb(8, type_len))
  local off = 8 + type_len
  add_meta(tree, tvb(off, FAST_META_LEN), type_name)
  off = off + FAST_META_LEN
  local data_len = tvb(off, 8):le_uint64():tonumber()
  tree:add_le(f.data_len, tvb(off, 8))
  off = off + 8
  if data_len ~= tvb:len() - off then tree:add_proto_expert_info(e_len); return type_name end
  local info = short_name(type_name)
  if type_name == MY_PREPARE_OK then
    -- Built by the follower's XDP program: raw u64 view, u64 opnum, u32 replicaIdx.
    if data_len >= 20 then
      local body = tree:add(f.body, tvb(off, data_len))
      body:add_le(f.ok_view, tvb(off, 8)); body:add_le(f.ok_opnum, tvb(off + 8, 8)); body:add_le(f.ok_replica, tvb(off + 16, 4))
      info = string.format("%s view %d op %d from %d", info, tvb(off, 8):le_uint64():tonumber(),
        tvb(off + 8, 8):le_uint64():tonumber(), tvb(off + 16, 4):le_uint())
    end
    pinfo.cols.info:append(info .. " ")
  elseif data_len > 0 then
    tree:add(f.body, tvb(off, data_len))
    pinfo.private["pb_msg_type"] = "message," .. type_name
    -- Without the .proto files the protobuf dissector shows raw fields; it never fails the frame.
    pcall(function() protobuf:call(tvb(off, data_len):tvb(), pinfo, tree) end)
    -- The protobuf dissector rewrites both columns: put ours back in front.
    pinfo.cols.protocol = "Electrode"
    pinfo.cols.info:prepend(info .. " ")
  else
    pinfo.cols.info:append(info .. " ")
  end
  return type_name
end

local function dissect_fragment(tvb, pinfo, tree)
  if tvb:len() < 24 then tree:add_proto_expert_info(e_short); return end
  local id, start, total = tvb(0, 8):le_uint64(), tvb(8, 8):le_uint64():tonumber(), tvb(16, 8):le_uint64():tonumber()
  tree:add_le(f.frag_id, tvb(0, 8)); tree:add_le(f.frag_start, tvb(8, 8)); tree:add_le(f.frag_total, tvb(16, 8))
  local data = tvb(24)
  tree:add(f.frag_data, data)
  pinfo.cols.info:append(string.format("Fragment %s [%d..%d of %d] ", tostring(id), start, start + data:len(), total))
  if not pinfo.visited and total > 0 and total <= MAX_MESSAGE then
    local key = tostring(pinfo.src) .. ":" .. pinfo.src_port .. "/" .. tostring(id)
    local r = pending[key]
    if r == nil or r.total ~= total then r = { total = total, parts = {}, have = 0 }; pending[key] = r end
    if r.parts[start] == nil and start + data:len() <= total then
      r.parts[start] = data:bytes(); r.have = r.have + data:len()
    end
    if r.have == total then
      local whole, at = ByteArray.new(), 0
      while at < total do
        local part = r.parts[at]
        if part == nil then break end
        whole:append(part); at = at + part:len()
      end
      pending[key] = nil
      if at == total then reassembled[pinfo.number] = whole end
    end
  end
  local whole = reassembled[pinfo.number]
  if whole ~= nil then
    local rtvb = whole:tvb("Reassembled message")
    dissect_message(rtvb, pinfo, tree:add(p, rtvb(), "Reassembled message"))
  end
end

function p.dissector(tvb, pinfo, tree)
  if tvb:len() < 4 then return 0 end
  local magic = tvb(0, 4):le_uint()
  if magic ~= NONFRAG_MAGIC and magic ~= FRAG_MAGIC then return 0 end
  pinfo.cols.protocol = "Electrode"
  pinfo.cols.info:clear()
  local t = tree:add(p, tvb())
  t:add_le(f.magic, tvb(0, 4))
  if magic == NONFRAG_MAGIC then dissect_message(tvb(4):tvb(), pinfo, t)
  else dissect_fragment(tvb(4):tvb(), pinfo, t) end
  return tvb:len()
end

function p.init()
  pending = {}
  reassembled = {}
end

-- Clients send from ephemeral ports: recognise the magic on any UDP datagram as well.
local function heuristic(tvb, pinfo, tree)
  if tvb:len() < 16 then return false end
  local magic = tvb(0, 4):le_uint()
  if magic ~= NONFRAG_MAGIC and magic ~= FRAG_MAGIC then return false end
  p.dissector(tvb, pinfo, tree)
  return true
end
p:register_heuristic("udp", heuristic)

local registered = nil
function p.prefs_changed()
  local udp = DissectorTable.get("udp.port")
  if registered then udp:remove(registered, p) end
  registered = p.prefs.ports
  udp:add(registered, p)
end
DissectorTable.get("udp.port"):add(p.prefs.ports, p)
registered = p.prefs.ports
