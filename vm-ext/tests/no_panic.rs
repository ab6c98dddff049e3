//! Calls every library function this crate provides with odd arguments
//! (nil, NaN, infinities, extreme integers, strings, tables, functions,
//! threads) under `pcall`: errors are fine, a panic (an internal error that
//! poisons the runtime) is not.

use vm_ext::{Runtime, RuntimeOptions, StepResult};

const SCRIPT: &[u8] = br#"
local values = {nil, true, 0, -1, 1, 3, 2^53, math.maxinteger, math.mininteger, 0/0, 1/0, -1/0,
  "", "x", "10", "%c", "*t", "!%Ez", {}, {1, 2, 3}, print, coroutine.create(print)}
local nvalues = 22
local skip = {["table.move"] = true, ["os.exit"] = false, ["debug.setmetatable"] = true,
  ["debug.sethook"] = true}
local libs = {"_G", "table", "math", "utf8", "os", "io", "coroutine", "debug", "package"}
local calls = 0
for _, libname in ipairs(libs) do
  local lib = libname == "_G" and _G or _G[libname]
  local names = {}
  for k, v in pairs(lib) do
    if type(v) == "function" and type(k) == "string" then names[#names + 1] = k end
  end
  table.sort(names)
  for _, name in ipairs(names) do
    local full = libname .. "." .. name
    local f = lib[name]
    if not skip[full] and name ~= "print" and name ~= "write" then
      pcall(f)
      for i = 1, nvalues do
        pcall(f, values[i])
        for j = 1, nvalues do
          pcall(f, values[i], values[j])
          calls = calls + 2
        end
        pcall(f, values[i], values[(i * 7) % nvalues + 1], values[(i * 3) % nvalues + 1])
      end
    end
  end
end
-- table.move only with ranges that end
pcall(table.move, {}, math.mininteger, math.maxinteger, 1)
pcall(table.move, {}, 1, 10, math.maxinteger)
pcall(table.move, {1, 2}, 1, 2, math.mininteger)
return calls
"#;

#[test]
fn library_functions_never_panic() {
    let mut rt = Runtime::new(RuntimeOptions {
        fuel_limit: Some(2_000_000_000),
        ..Default::default()
    });
    rt.load(SCRIPT, "fuzz").unwrap();
    let result = rt.run_to_end(|| false);
    match result {
        StepResult::Finished(v) => match v.first() {
            Some(vm_ext::HostValue::Integer(n)) => assert!(*n > 50_000, "only {n} calls"),
            other => panic!("unexpected result {other:?}"),
        },
        other => panic!("{other:?}"),
    }
}
