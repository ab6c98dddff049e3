-- JSON round trip: a small encoder and recursive-descent decoder written in
-- Lua (string.format, string.byte, string.find, string.sub, gsub escaping,
-- table.concat), over a generated document of objects, arrays and strings.
local n = tonumber(arg and arg[1]) or 40

local byte, sub, find, format, concat = string.byte, string.sub, string.find, string.format, table.concat

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t" }

local encode_value
local function encode_string(s, out)
  out[#out + 1] = '"' .. string.gsub(s, '[%c"\\]', escapes) .. '"'
end

local function is_array(t)
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == #t
end

encode_value = function(v, out)
  local ty = type(v)
  if ty == "string" then
    encode_string(v, out)
  elseif ty == "number" then
    out[#out + 1] = format("%d", v)
  elseif ty == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif v == nil then
    out[#out + 1] = "null"
  elseif is_array(v) then
    out[#out + 1] = "["
    for i = 1, #v do
      if i > 1 then out[#out + 1] = "," end
      encode_value(v[i], out)
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    out[#out + 1] = "{"
    for i = 1, #keys do
      if i > 1 then out[#out + 1] = "," end
      encode_string(keys[i], out)
      out[#out + 1] = ":"
      encode_value(v[keys[i]], out)
    end
    out[#out + 1] = "}"
  end
end

local function encode(v)
  local out = {}
  encode_value(v, out)
  return concat(out)
end

local decode_value
local function skip(s, i)
  local _, e = find(s, "^[ \n\r\t]*", i)
  return e + 1
end

local unescapes = { ['"'] = '"', ["\\"] = "\\", n = "\n", t = "\t", ["/"] = "/" }
local function decode_string(s, i)
  local parts = {}
  local pos = i + 1
  while true do
    local a, b = find(s, '["\\]', pos)
    parts[#parts + 1] = sub(s, pos, a - 1)
    if byte(s, a) == 34 then return concat(parts), b + 1 end
    parts[#parts + 1] = unescapes[sub(s, a + 1, a + 1)]
    pos = a + 2
  end
end

decode_value = function(s, i)
  i = skip(s, i)
  local c = byte(s, i)
  if c == 123 then -- {
    local obj = {}
    i = skip(s, i + 1)
    if byte(s, i) == 125 then return obj, i + 1 end
    while true do
      local key
      key, i = decode_string(s, skip(s, i))
      i = skip(s, i) + 1 -- ':'
      local val
      val, i = decode_value(s, i)
      obj[key] = val
      i = skip(s, i)
      local d = byte(s, i)
      i = i + 1
      if d == 125 then return obj, i end
    end
  elseif c == 91 then -- [
    local arr = {}
    i = skip(s, i + 1)
    if byte(s, i) == 93 then return arr, i + 1 end
    while true do
      local val
      val, i = decode_value(s, i)
      arr[#arr + 1] = val
      i = skip(s, i)
      local d = byte(s, i)
      i = i + 1
      if d == 93 then return arr, i end
    end
  elseif c == 34 then
    return decode_string(s, i)
  elseif c == 116 then
    return true, i + 4
  elseif c == 102 then
    return false, i + 5
  else
    local _, e = find(s, "^-?%d+", i)
    return tonumber(sub(s, i, e)), e + 1
  end
end

local function decode(s)
  local v = decode_value(s, 1)
  return v
end

local function make_doc(size)
  local doc = { name = "bench", items = {}, meta = { version = 3, tags = { "a", "b\tc", "quote\"d" } } }
  for i = 1, size do
    doc.items[i] = {
      id = i,
      label = "item \"" .. i .. "\"\n",
      active = i % 3 == 0,
      scores = { i, i * 2, i * 3, -i },
      child = { depth = i % 5, note = "n" .. i },
    }
  end
  return doc
end

local function sum_doc(v)
  local ty = type(v)
  if ty == "number" then return v
  elseif ty == "string" then return #v
  elseif ty == "boolean" then return v and 1 or 0
  end
  local s = 0
  for _, x in pairs(v) do s = s + sum_doc(x) end
  return s
end

local doc = make_doc(n * 25)
local total, text = 0, nil
for _ = 1, 20 do
  text = encode(doc)
  local back = decode(text)
  total = (total + sum_doc(back)) % 1000000007
  doc = back
end
print("checksum " .. total .. " " .. #text)
