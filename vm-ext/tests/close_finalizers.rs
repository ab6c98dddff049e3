//! `Runtime::close_finalizers`: `lua_close`'s finalizers.

use vm_ext::{Runtime, RuntimeOptions, StepResult};

fn run(rt: &mut Runtime, src: &str) {
    rt.load(src.as_bytes(), "close").unwrap();
    match rt.run_to_end(|| false) {
        StepResult::Finished(_) => {}
        other => panic!("{other:?}"),
    }
}

fn global_string(rt: &mut Runtime, name: &str) -> String {
    let name = name.to_owned();
    rt.lua_mut().enter(
        move |ctx| match ctx.get_global(ctx.intern(name.as_bytes())) {
            piccolo::Value::String(s) => s.to_str_lossy().into_owned(),
            v => format!("{v:?}"),
        },
    )
}

#[test]
fn every_marked_object_is_finalized_newest_first() {
    let mut rt = Runtime::new(RuntimeOptions::default());
    run(
        &mut rt,
        "log = {}
         local mt = {__gc = function(o) log[#log + 1] = o.name end}
         keep = setmetatable({name = 'a'}, mt)
         local b = setmetatable({name = 'b'}, mt)
         setmetatable({name = 'c'}, {__gc = function(o)
           log[#log + 1] = o.name
           -- marked while closing: never finalized, as in PUC Lua
           setmetatable({name = 'late'}, mt)
         end})
         setmetatable({}, {__gc = function() error('ignored') end})",
    );
    assert!(rt.close_finalizers(1_000_000));
    run(&mut rt, "result = table.concat(log, ',')");
    assert_eq!(global_string(&mut rt, "result"), "c,b,a");
    // Once only: a second close finds nothing marked.
    assert!(rt.close_finalizers(1_000_000));
    run(&mut rt, "result = table.concat(log, ',')");
    assert_eq!(global_string(&mut rt, "result"), "c,b,a");
}

#[test]
fn a_runaway_finalizer_is_cut_off_by_the_fuel_given() {
    let mut rt = Runtime::new(RuntimeOptions::default());
    run(
        &mut rt,
        "x = setmetatable({}, {__gc = function() while true do end end})",
    );
    assert!(!rt.close_finalizers(200_000));
    // The runtime still runs scripts.
    run(&mut rt, "result = 'alive'");
    assert_eq!(global_string(&mut rt, "result"), "alive");
}
