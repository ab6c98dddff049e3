//! The interpreter's field cache and writes made by the host between
//! slices: a loop polling `cfg.v` must see the host's change.

use vm_ext::{Runtime, RuntimeOptions, StepResult};

#[test]
fn host_write_between_slices_is_seen() {
    let mut rt = Runtime::new(RuntimeOptions::default());
    rt.load(
        b"cfg = {v = 1}
          local n = 0
          while cfg.v == 1 do n = n + 1 end
          done = n",
        "poll",
    )
    .unwrap();
    // A few slices with the field unchanged: the loop keeps polling.
    for _ in 0..5 {
        assert!(matches!(rt.step(10_000), StepResult::Running));
    }
    rt.lua_mut().enter(|ctx| {
        let piccolo::Value::Table(cfg) = ctx.get_global("cfg") else {
            panic!("cfg is not a table")
        };
        cfg.set(ctx, "v", 2).unwrap();
    });
    let mut finished = false;
    for _ in 0..20 {
        match rt.step(10_000) {
            StepResult::Running => {}
            StepResult::Finished(_) => {
                finished = true;
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(finished, "the loop did not see the host's write");
    let n = rt.lua_mut().enter(|ctx| match ctx.get_global("done") {
        piccolo::Value::Integer(i) => i,
        _ => -1,
    });
    assert!(n > 1000, "{n}");
}
