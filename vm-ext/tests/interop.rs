//! Driving Lua from the host: function handles, calls queued behind a
//! running chunk, synchronous calls with a fuel cap, release and
//! collection, globals and table handles (also `_home`), modules from the
//! host, the in-memory file system, and host objects lent by reference.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use vm_ext::{
    engine::Engine, host::MemoryFileSystem, ErrorKind, Host, HostCallOutcome, HostObjects,
    HostReply, HostTarget, HostValue, Runtime, RuntimeOptions, StepResult,
};

fn drive(rt: &mut Runtime) -> StepResult {
    for _ in 0..1_000_000 {
        match rt.step(10_000) {
            StepResult::Running => continue,
            other => return other,
        }
    }
    panic!("task did not settle");
}

fn runtime(engine: Engine) -> Runtime {
    let mut rt = Runtime::new(RuntimeOptions {
        engine,
        ..Default::default()
    });
    rt.enable_handles();
    rt
}

fn run(rt: &mut Runtime, src: &str) -> Vec<HostValue> {
    rt.load(src.as_bytes(), "main").unwrap();
    match drive(rt) {
        StepResult::Finished(v) => v,
        other => panic!("chunk ended with {other:?}"),
    }
}

fn s(text: &str) -> HostValue {
    HostValue::String(text.as_bytes().to_vec())
}

fn a_returned_function_is_a_handle_that_can_be_called(engine: Engine) {
    let mut rt = runtime(engine);
    let v = run(
        &mut rt,
        "local n = 0 return function(a, b) n = n + 1 return a + b, n end",
    );
    let f = v[0].clone();
    let HostValue::LuaFunction(id) = f else {
        panic!("expected a function handle, got {f:?}")
    };
    assert!(rt.handles().contains(id));
    let task = rt
        .call(
            f.clone(),
            vec![HostValue::Integer(2), HostValue::Integer(3)],
        )
        .unwrap();
    assert_eq!(rt.current_task(), Some(task));
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(5), HostValue::Integer(1)])
    );
    assert_eq!(rt.last_task(), task);
    // callSync shares the closure's state.
    let r = rt
        .call_sync(&f, &[HostValue::Integer(1), HostValue::Integer(1)], 100_000)
        .unwrap();
    assert_eq!(r, vec![HostValue::Integer(2), HostValue::Integer(2)]);
    // A function inside a copied table is a handle too.
    let v = run(&mut rt, "return { on = function() return 'hi' end, n = 1 }");
    let HostValue::Table(entries) = &v[0] else {
        panic!()
    };
    let on = entries
        .iter()
        .find(|(k, _)| *k == s("on"))
        .unwrap()
        .1
        .clone();
    assert!(matches!(on, HostValue::LuaFunction(_)));
    assert_eq!(rt.call_sync(&on, &[], 10_000).unwrap(), vec![s("hi")]);
}

fn calls_queue_behind_a_running_chunk_in_order(engine: Engine) {
    let mut rt = runtime(engine);
    let f = run(
        &mut rt,
        "log = {} return function(x) log[#log + 1] = x return #log end",
    )
    .remove(0);
    rt.load(
        b"for i = 1, 200000 do local _ = i * 2 end log[#log + 1] = 'chunk' return 'done'",
        "long",
    )
    .unwrap();
    let chunk_task = rt.current_task().unwrap();
    assert_eq!(rt.step(1000), StepResult::Running);
    let a = rt.call(f.clone(), vec![s("a")]).unwrap();
    let b = rt.call(f.clone(), vec![s("b")]).unwrap();
    assert_eq!(rt.queued_calls(), 2);
    assert_eq!(
        rt.current_task(),
        Some(chunk_task),
        "the chunk keeps running"
    );
    assert_eq!(drive(&mut rt), StepResult::Finished(vec![s("done")]));
    assert_eq!(rt.last_task(), chunk_task);
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(2)])
    );
    assert_eq!(rt.last_task(), a);
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(3)])
    );
    assert_eq!(rt.last_task(), b);
    assert_eq!(rt.step(1000), StepResult::Idle);
    assert_eq!(
        rt.get("log", false).unwrap(),
        HostValue::Table(vec![
            (HostValue::Integer(1), s("chunk")),
            (HostValue::Integer(2), s("a")),
            (HostValue::Integer(3), s("b")),
        ])
    );
}

fn a_call_fails_like_a_chunk_with_position_and_waits_on_host_calls(engine: Engine) {
    let mut rt = runtime(engine);
    rt.register_host_function("fetch");
    let fs = run(
        &mut rt,
        "return function() error('boom') end, function(x) return fetch(x) * 2 end",
    );
    rt.call(fs[0].clone(), vec![]).unwrap();
    let StepResult::Error(e) = drive(&mut rt) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::Runtime);
    assert_eq!(e.message, "main:1: boom");
    assert_eq!(e.chunk.as_deref(), Some("main"));
    assert_eq!(e.line, Some(1));
    // A call that waits on the host is Waiting like a chunk.
    rt.call(fs[1].clone(), vec![HostValue::Integer(4)]).unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    let call = rt.take_host_calls().remove(0);
    assert_eq!(call.args, vec![HostValue::Integer(4)]);
    rt.resolve_host_call(
        call.id,
        HostCallOutcome::Return(vec![HostValue::Integer(21)]),
    );
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(42)])
    );
    // A fuel limit applies to calls as to chunks.
    rt.set_fuel_limit(Some(50_000));
    let spin = run(&mut rt, "return function() while true do end end").remove(0);
    rt.call(spin, vec![]).unwrap();
    let StepResult::Error(e) = drive(&mut rt) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::FuelLimit);
}

fn call_sync_stops_at_its_fuel_cap_and_refuses_to_wait(engine: Engine) {
    let mut rt = runtime(engine);
    rt.register_host_function("fetch");
    let fs = run(
        &mut rt,
        "return function() while true do end end, function() return fetch() end, function(x) return x + 1 end",
    );
    let e = rt.call_sync(&fs[0], &[], 200_000).unwrap_err();
    assert_eq!(e.kind, ErrorKind::FuelLimit);
    assert!(e.message.contains("fuel cap of 200000"), "{}", e.message);
    let e = rt.call_sync(&fs[1], &[], 200_000).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Runtime);
    assert!(e.message.contains("waited on a promise"), "{}", e.message);
    assert!(
        rt.take_host_calls().is_empty(),
        "the abandoned call is forgotten"
    );
    // While a chunk waits on the host, callSync still answers, and the
    // chunk continues afterwards.
    rt.load(b"return fetch() + 1", "main").unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    assert_eq!(
        rt.call_sync(&fs[2], &[HostValue::Integer(1)], 10_000)
            .unwrap(),
        vec![HostValue::Integer(2)]
    );
    let call = rt.take_host_calls().remove(0);
    rt.resolve_host_call(
        call.id,
        HostCallOutcome::Return(vec![HostValue::Integer(9)]),
    );
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(10)])
    );
}

fn a_released_function_is_collected(engine: Engine) {
    let mut rt = runtime(engine);
    let f = run(
        &mut rt,
        "local big = string.rep('x', 8000000) return function() return #big end",
    )
    .remove(0);
    let HostValue::LuaFunction(id) = f else {
        panic!()
    };
    rt.lua_mut().gc_collect();
    let held = rt.memory_used();
    assert!(held > 8_000_000, "the closure keeps its upvalue: {held}");
    assert_eq!(
        rt.call_sync(&f, &[], 10_000).unwrap(),
        vec![HostValue::Integer(8_000_000)]
    );
    assert!(rt.release(id));
    assert!(!rt.release(id), "released once");
    rt.lua_mut().gc_collect();
    let after = rt.memory_used();
    assert!(
        after + 7_000_000 < held,
        "released: {held} -> {after} bytes"
    );
    let e = rt.call(f.clone(), vec![]).unwrap_err();
    assert!(e.message.contains("released"), "{}", e.message);
    assert!(rt.call_sync(&f, &[], 10).is_err());
}

fn get_and_set_globals_and_dotted_paths(engine: Engine) {
    let mut rt = runtime(engine);
    rt.set("speed", &HostValue::Number(1.5)).unwrap();
    rt.set(
        "config",
        &HostValue::Table(vec![(
            s("window"),
            HostValue::Table(vec![(s("w"), HostValue::Integer(640))]),
        )]),
    )
    .unwrap();
    rt.set("config.window.h", &HostValue::Integer(480)).unwrap();
    rt.set(
        "list",
        &HostValue::Table(vec![(HostValue::Integer(1), s("a"))]),
    )
    .unwrap();
    assert_eq!(rt.get("list.1", false).unwrap(), s("a"));
    assert_eq!(
        run(
            &mut rt,
            "return speed * 2, config.window.w + config.window.h"
        ),
        vec![HostValue::Number(3.0), HostValue::Integer(1120)]
    );
    assert_eq!(
        rt.get("config.window.h", false).unwrap(),
        HostValue::Integer(480)
    );
    assert_eq!(rt.get("missing", false).unwrap(), HostValue::Nil);
    let e = rt.get("missing.x", false).unwrap_err();
    assert!(
        e.message.contains("cannot index 'missing' (a nil value)"),
        "{}",
        e.message
    );
    let e = rt.set("missing.x", &HostValue::Integer(1)).unwrap_err();
    assert!(e.message.contains("'missing'"), "{}", e.message);
    assert!(rt.get("a..b", false).is_err());
    // __index / __newindex run.
    run(
        &mut rt,
        "seen = {} proxy = setmetatable({}, { __index = function(_, k) return k .. '!' end, \
         __newindex = function(_, k, v) seen[k] = v end })",
    );
    assert_eq!(rt.get("proxy.hey", false).unwrap(), s("hey!"));
    rt.set("proxy.x", &HostValue::Integer(7)).unwrap();
    assert_eq!(rt.get("seen.x", false).unwrap(), HostValue::Integer(7));
    // Functions both ways: a Lua function read back and stored again keeps
    // its identity.
    let f = run(&mut rt, "function double(x) return x * 2 end").len();
    assert_eq!(f, 0);
    let double = rt.get("double", false).unwrap();
    rt.set("twice", &double).unwrap();
    assert_eq!(
        run(&mut rt, "return rawequal(double, twice), twice(21)"),
        vec![HostValue::Boolean(true), HostValue::Integer(42)]
    );
}

fn table_handles_see_changes_and_home_writes_persist(engine: Engine) {
    let mut rt = runtime(engine);
    run(&mut rt, "state = { hp = 3, items = {'a', 'b'} }");
    let t = rt.get("state", true).unwrap();
    assert!(matches!(
        t,
        HostValue::LuaRef {
            type_name: "table",
            ..
        }
    ));
    assert_eq!(
        rt.get_field(&t, &s("hp"), false).unwrap(),
        HostValue::Integer(3)
    );
    run(&mut rt, "state.hp = 10");
    assert_eq!(
        rt.get_field(&t, &s("hp"), false).unwrap(),
        HostValue::Integer(10),
        "the handle sees Lua's change"
    );
    rt.set_field(&t, &s("mp"), &HostValue::Integer(5)).unwrap();
    assert_eq!(run(&mut rt, "return state.mp"), vec![HostValue::Integer(5)]);
    let items = rt.get_field(&t, &s("items"), true).unwrap();
    assert_eq!(rt.length(&items).unwrap(), HostValue::Integer(2));
    let mut keys = rt.keys(&t).unwrap();
    keys.sort_by_key(|k| k.display());
    assert_eq!(keys, vec![s("hp"), s("items"), s("mp")]);
    assert!(rt
        .set_field(&t, &HostValue::Nil, &HostValue::Integer(1))
        .is_err());
    // _home through a handle: writes go through the proxy and persist.
    run(
        &mut rt,
        "_home.player = { name = 'ada', stats = { lvl = 1 } }",
    );
    rt.flush().unwrap();
    let home = rt.get("_home", true).unwrap();
    assert!(matches!(
        home,
        HostValue::LuaRef {
            type_name: "userdata",
            ..
        }
    ));
    let player = rt.get_field(&home, &s("player"), true).unwrap();
    rt.set_field(&player, &s("hp"), &HostValue::Integer(9))
        .unwrap();
    assert!(rt.home_model().is_dirty(), "the write went to the model");
    assert_eq!(
        run(&mut rt, "return _home.player.hp"),
        vec![HostValue::Integer(9)]
    );
    assert_eq!(rt.keys(&home).unwrap(), vec![s("player")]);
    let copy = rt.copy(&player).unwrap();
    let HostValue::Table(mut entries) = copy else {
        panic!()
    };
    entries.sort_by_key(|(k, _)| k.display());
    assert_eq!(
        entries,
        vec![
            (s("hp"), HostValue::Integer(9)),
            (s("name"), s("ada")),
            (
                s("stats"),
                HostValue::Table(vec![(s("lvl"), HostValue::Integer(1))])
            ),
        ]
    );
}

fn modules_from_the_host_now_and_on_demand(engine: Engine) {
    let mut rt = runtime(engine);
    rt.add_module("greet", "return { hi = function(n) return 'hi ' .. n end }");
    rt.add_module_loader("lazy");
    rt.load(
        b"local g = require('greet') local l = require('lazy') local l2 = require('lazy') \
          return g.hi('ada'), l.n, rawequal(l, l2)",
        "main",
    )
    .unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    let calls = rt.take_host_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].target, HostTarget::Module("lazy".into()));
    rt.resolve_host_call(
        calls[0].id,
        HostCallOutcome::Return(vec![s("return { n = 42 }")]),
    );
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![
            s("hi ada"),
            HostValue::Integer(42),
            HostValue::Boolean(true)
        ])
    );
    // A module whose source does not compile, and a rejected loader.
    rt.add_module("bad", "return {");
    rt.add_module_loader("gone");
    rt.load(
        b"local ok1, e1 = pcall(require, 'bad') local ok2, e2 = pcall(require, 'gone') return ok1, e1, ok2, e2",
        "main",
    )
    .unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    let call = rt.take_host_calls().remove(0);
    rt.resolve_host_call(call.id, HostCallOutcome::Error(s("404 not found")));
    let StepResult::Finished(v) = drive(&mut rt) else {
        panic!()
    };
    assert_eq!(v[0], HostValue::Boolean(false));
    assert!(
        v[1].display().contains("error loading module 'bad'"),
        "{v:?}"
    );
    assert_eq!(v[2], HostValue::Boolean(false));
    assert!(v[3].display().contains("404 not found"), "{v:?}");
}

fn the_memory_file_system_serves_dofile_loadfile_io_open_and_require(engine: Engine) {
    let fs = MemoryFileSystem::default();
    fs.insert(
        "lib/util.lua",
        "return { twice = function(x) return 2 * x end }",
    );
    fs.insert("/data/level.txt", "line one\nline two\n");
    fs.insert("conf.lua", "width = 320 return 'loaded'");
    let host = Host {
        fs: Some(Rc::new(fs.clone())),
        ..Host::default()
    };
    let mut rt = Runtime::with_host(
        RuntimeOptions {
            engine,
            ..Default::default()
        },
        host,
    );
    rt.enable_handles();
    assert_eq!(
        run(
            &mut rt,
            "local r = dofile('./conf.lua') \
             local f = assert(loadfile('conf.lua')) \
             local h = assert(io.open('/data/level.txt')) local first = h:read('l') h:close() \
             local u = require('lib.util') \
             local w = assert(io.open('out.txt', 'w')) w:write('saved') w:close() \
             return r, width, first, u.twice(21), io.open('nope.txt') == nil"
        ),
        vec![
            s("loaded"),
            HostValue::Integer(320),
            s("line one"),
            HostValue::Integer(42),
            HostValue::Boolean(true)
        ]
    );
    assert_eq!(fs.get("./out.txt").unwrap(), b"saved");
}

/// A tiny object model standing in for JS: objects are maps, functions
/// are Rust closures, and a "promise" settles through a host call.
#[derive(Default)]
struct Objects {
    next: RefCell<u64>,
    fields: RefCell<HashMap<u64, HashMap<String, HostValue>>>,
    released: RefCell<Vec<u64>>,
}

impl Objects {
    fn object(&self, fields: &[(&str, HostValue)]) -> HostValue {
        *self.next.borrow_mut() += 1;
        let id = *self.next.borrow();
        self.fields.borrow_mut().insert(
            id,
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        );
        HostValue::HostObject(id)
    }
}

const FN_ADD: &str = "<add>";
const FN_LATER: &str = "<later>";
const FN_THROW: &str = "<throw>";

impl HostObjects for Objects {
    fn global(&self) -> HostValue {
        self.object(&[
            ("title", s("page")),
            ("add", self.object(&[("kind", s(FN_ADD))])),
            ("later", self.object(&[("kind", s(FN_LATER))])),
            ("boom", self.object(&[("kind", s(FN_THROW))])),
        ])
    }
    fn get(&self, id: u64, key: HostValue) -> Result<HostValue, String> {
        let key = key.display();
        Ok(self
            .fields
            .borrow()
            .get(&id)
            .and_then(|f| f.get(&key).cloned())
            .unwrap_or(HostValue::Nil))
    }
    fn set(&self, id: u64, key: HostValue, value: HostValue) -> Result<(), String> {
        if key.display() == "frozen" {
            return Err("TypeError: Cannot assign to read only property 'frozen'".into());
        }
        self.fields
            .borrow_mut()
            .entry(id)
            .or_default()
            .insert(key.display(), value);
        Ok(())
    }
    fn call(&self, id: u64, this: HostValue, args: Vec<HostValue>) -> Result<HostReply, String> {
        let kind = self.get(id, s("kind"))?.display();
        match kind.as_str() {
            FN_ADD => {
                let HostValue::HostObject(this) = this else {
                    return Err("TypeError: add needs this".into());
                };
                let title = self.get(this, s("title"))?.display();
                Ok(HostReply::Values(vec![s(&format!(
                    "{title}+{}",
                    args[0].display()
                ))]))
            }
            FN_LATER => Ok(HostReply::Pending(77)),
            _ => Err("Error: thrown by JS".into()),
        }
    }
    fn construct(&self, _id: u64, args: Vec<HostValue>) -> Result<HostValue, String> {
        Ok(self.object(&[("arg", args[0].clone())]))
    }
    fn keys(&self, id: u64) -> Result<Vec<HostValue>, String> {
        let mut keys: Vec<String> = self.fields.borrow()[&id].keys().cloned().collect();
        keys.sort();
        Ok(keys.iter().map(|k| s(k)).collect())
    }
    fn type_of(&self, _id: u64) -> String {
        "object".into()
    }
    fn instance_of(&self, _id: u64, _ctor: u64) -> Result<bool, String> {
        Ok(true)
    }
    fn await_object(&self, _id: u64) -> Option<u64> {
        None
    }
    fn describe(&self, id: u64) -> String {
        format!("[object #{id}]")
    }
    fn release(&self, id: u64) {
        self.released.borrow_mut().push(id);
    }
}

fn host_objects_by_reference(engine: Engine) {
    let objects = Rc::new(Objects::default());
    let mut rt = runtime(engine);
    rt.set_host_objects(objects.clone());
    rt.load_js_library().unwrap();
    rt.load(
        br#"
        local g = js.global
        local before = g.title
        g.title = "changed"
        local added = g:add(5)
        local ok, err = pcall(function() g.frozen = 1 end)
        local ok2, err2 = pcall(function() local r = g:boom() return r end)
        local o = js.new(g.add, "x")
        local keys = {}
        for k in pairs(g) do keys[#keys + 1] = k end
        local waited = g:later()
        return before, g.title, added, ok, err, ok2, err2, o.arg, table.concat(keys, ","),
               js.typeof(g), js.typeof(1), string.match(tostring(g), "object") ~= nil, waited
    "#,
        "js",
    )
    .unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    let call = rt.take_host_calls().remove(0);
    assert_eq!(call.target, HostTarget::Await(77));
    rt.resolve_host_call(call.id, HostCallOutcome::Return(vec![s("resolved")]));
    let v = match drive(&mut rt) {
        StepResult::Finished(v) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(v[0], s("page"));
    assert_eq!(v[1], s("changed"));
    assert_eq!(v[2], s("changed+5"), "called with this = g");
    assert_eq!(v[3], HostValue::Boolean(false));
    assert_eq!(
        v[4],
        s("js:6: TypeError: Cannot assign to read only property 'frozen'")
    );
    assert_eq!(v[5], HostValue::Boolean(false));
    assert_eq!(v[6], s("js:7: Error: thrown by JS"));
    assert_eq!(v[7], s("x"));
    assert_eq!(v[8], s("add,boom,later,title"));
    assert_eq!(v[9], s("object"));
    assert_eq!(v[10], s("number"));
    assert_eq!(v[11], HostValue::Boolean(true));
    assert_eq!(v[12], s("resolved"));
    // A host object returned to the host is the same object.
    let got = rt.get("js.global", false).unwrap();
    assert!(matches!(got, HostValue::HostObject(_)));
    // Objects Lua no longer refers to are released.
    run(&mut rt, "js = nil package.loaded.js = nil");
    rt.lua_mut().gc_collect();
    assert!(!objects.released.borrow().is_empty());
}

/// Every test runs on both interpreter cores.
macro_rules! on_both_cores {
    ($($name:ident),* $(,)?) => {
        mod piccolo_core {
            $( #[test] fn $name() { super::$name(super::Engine::Piccolo) } )*
        }
        mod luahome_core {
            $( #[test] fn $name() { super::$name(super::Engine::Luahome) } )*
        }
    };
}

on_both_cores!(
    a_returned_function_is_a_handle_that_can_be_called,
    calls_queue_behind_a_running_chunk_in_order,
    a_call_fails_like_a_chunk_with_position_and_waits_on_host_calls,
    call_sync_stops_at_its_fuel_cap_and_refuses_to_wait,
    a_released_function_is_collected,
    get_and_set_globals_and_dotted_paths,
    table_handles_see_changes_and_home_writes_persist,
    modules_from_the_host_now_and_on_demand,
    the_memory_file_system_serves_dofile_loadfile_io_open_and_require,
    host_objects_by_reference,
);
