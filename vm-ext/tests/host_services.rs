//! The libraries against host services: real and in-memory file systems,
//! host module sources for `require`, the warning channel, `os.exit`,
//! `os.getenv`, stdin.

use std::{cell::RefCell, fs, path::Path, rc::Rc};

use vm_ext::{
    host::{Host, MemoryFileSystem},
    Runtime, StepResult, TimeZone,
};

fn run(host: Host, source: &[u8], name: &str) -> (StepResult, Vec<u8>) {
    let mut rt = Runtime::with_host(Default::default(), host);
    if let Err(e) = rt.load(source, name) {
        return (StepResult::Error(e), rt.take_output());
    }
    let result = rt.run_to_end(|| false);
    (result, rt.take_output())
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/scripts")
            .join(name),
    )
    .unwrap()
}

fn assert_finished(r: &StepResult) {
    assert!(matches!(r, StepResult::Finished(_)), "{r:?}");
}

#[test]
fn io_fixture_with_real_files() {
    let (r, _) = run(
        Host::native(),
        &fixture("io_functions.lua"),
        "io_functions.lua",
    );
    assert_finished(&r);
}

#[test]
fn io_fixture_with_memory_files() {
    let host = Host {
        fs: Some(Rc::new(MemoryFileSystem::default())),
        ..Host::default()
    };
    let (r, _) = run(host, &fixture("io_functions.lua"), "io_functions.lua");
    assert_finished(&r);
}

#[test]
fn io_files_fixture_with_real_and_memory_files() {
    let (r, _) = run(Host::native(), &fixture("io_files.lua"), "io_files.lua");
    assert_finished(&r);
    let mem = MemoryFileSystem::default();
    let host = Host {
        fs: Some(Rc::new(mem.clone())),
        ..Host::default()
    };
    let (r, _) = run(host, &fixture("io_files.lua"), "io_files.lua");
    assert_finished(&r);
    assert_eq!(mem.paths(), Vec::<String>::new(), "files left behind");
}

#[test]
fn tmpfile_has_no_name_and_open_files_are_flushed_when_dropped() {
    let mem = MemoryFileSystem::default();
    let host = Host {
        fs: Some(Rc::new(mem.clone())),
        ..Host::default()
    };
    let (r, _) = run(
        host,
        b"T = io.tmpfile(); T:write('kept while open'); F = io.open('out.txt', 'w'); F:write('buffered')",
        "t",
    );
    assert_finished(&r);
    // `run` dropped the runtime: the unclosed file wrote its buffer, and
    // the temporary file never had a name in the file system.
    assert_eq!(mem.paths(), vec!["out.txt".to_string()]);
    assert_eq!(mem.get("out.txt").as_deref(), Some(&b"buffered"[..]));
}

#[test]
fn dofile_and_require_from_files() {
    let mem = MemoryFileSystem::default();
    mem.insert(
        "lib/util.lua",
        "local n = ... ; return {name = n, twice = function(x) return 2 * x end}",
    );
    mem.insert("script.lua", "#!/usr/bin/env lua\nreturn 1 + 1, ...");
    mem.insert("bad.lua", "x =");
    let host = Host {
        fs: Some(Rc::new(mem)),
        ..Host::default()
    };
    let src = br#"
        package.path = "lib/?.lua"
        local u = require("util")
        assert(u.name == "util" and u.twice(21) == 42)
        assert(select(2, require("util")) == nil)
        assert(dofile("script.lua") == 2)
        local f = assert(loadfile("script.lua"))
        assert(select(2, f("arg")) == "arg")
        local ok, e = pcall(dofile, "bad.lua")
        assert(not ok and type(e) == "string")
        local g, msg = loadfile("bad.lua")
        assert(g == nil and type(msg) == "string")
        package.path = "lib/?.lua"
        local ok2, e2 = pcall(require, "bad")
        assert(not ok2)
    "#;
    let (r, out) = run(host, src, "main");
    assert_finished(&r);
    assert!(out.is_empty());
}

#[test]
fn require_from_host_modules() {
    let host = Host::default();
    host.modules.borrow_mut().insert(
        "greet".into(),
        b"return function(n) return 'hi ' .. n end".to_vec(),
    );
    let src = b"local g = require('greet'); assert(g('ada') == 'hi ada'); \
                local ok, e = pcall(require, 'absent'); assert(not ok)";
    let (r, _) = run(host, src, "main");
    assert_finished(&r);
}

#[test]
fn warnings_go_to_the_warning_channel() {
    let host = Host::default();
    let warnings = host.warnings.clone();
    let (r, out) = run(
        host,
        b"warn('hidden'); warn('@on'); warn('a', 'b'); warn('@off'); warn('no')",
        "w",
    );
    assert_finished(&r);
    assert!(out.is_empty());
    assert_eq!(warnings.take(), b"Lua warning: ab\n");
}

#[test]
fn exit_env_clock_and_stdin_hooks() {
    let code = Rc::new(RefCell::new(None));
    let c = code.clone();
    let host = Host {
        exit: Some(Rc::new(move |n| *c.borrow_mut() = Some(n))),
        env: Some(Rc::new(|k| (k == "HOME").then(|| "/home/ada".to_string()))),
        clock: Some(Rc::new(|| 1_700_000_000.5)),
        cpu_clock: Some(Rc::new(|| 12.25)),
        stdin: Some(Rc::new(RefCell::new(std::io::Cursor::new(
            b"first line\n42 rest\n".to_vec(),
        )))),
        ..Host::default()
    };
    let src = br#"
        assert(os.getenv("HOME") == "/home/ada" and os.getenv("X") == nil)
        assert(os.time() == 1700000000)
        -- In place (a loop of the project's core), through pcall (the
        -- executor) and as an argument error, with the host's clocks.
        local time, clock = os.time, os.clock
        for _ = 1, 3 do assert(time() == 1700000000 and clock() == 12.25) end
        assert(select(2, pcall(os.time)) == 1700000000 and select(2, pcall(os.clock)) == 12.25)
        -- Messages as lua5.4 gives them (the function named as called).
        local ok, e = pcall(os.time, 5)
        assert(not ok and e == "bad argument #1 to 'os.time' (table expected, got number)", e)
        ok, e = pcall(function() return time(5) end)
        assert(not ok and e == "hooks:12: bad argument #1 to 'time' (table expected, got number)", e)
        assert(os.date("!%Y-%m-%d %H:%M:%S") == "2023-11-14 22:13:20")
        assert(io.read() == "first line" and io.read("n") == 42 and io.read("a") == " rest\n")
        assert(io.read() == nil)
        os.exit(3)
    "#;
    let (r, _) = run(host, src, "hooks");
    assert!(matches!(r, StepResult::Error(_)));
    assert_eq!(*code.borrow(), Some(3));
}

/// A zone one hour east of UTC ("XST"), two ("XDT") from 1 April to 1
/// October (UTC) of any year: `os.date` and `os.time` take local time from
/// the host's zone, with `isdst`, `%z` and `%Z` from it.
#[test]
fn local_time_comes_from_the_hosts_zone() {
    struct Xst;
    impl TimeZone for Xst {
        fn offset(&self, t: i64) -> i64 {
            if Xst::summer(t) {
                7200
            } else {
                3600
            }
        }
        fn name(&self, t: i64) -> String {
            if Xst::summer(t) { "XDT" } else { "XST" }.into()
        }
    }
    impl Xst {
        fn summer(t: i64) -> bool {
            use vm_ext::stdlib::os::{days_from_civil, to_datetime};
            let y = to_datetime(t).year;
            let first = |month| days_from_civil(y, month, 1).saturating_mul(86400);
            (first(4)..first(10)).contains(&t)
        }
    }
    let host = Host {
        time_zone: Some(Rc::new(Xst)),
        ..Host::default()
    };
    let src = br#"
        local winter, summer = 1767225600, 1780000000  -- 2026-01-01 00:00, 2026-05-28 20:26:40 UTC
        assert(os.date("%Y-%m-%d %H:%M:%S %z %Z", winter) == "2026-01-01 01:00:00 +0100 XST")
        assert(os.date("!%Y-%m-%d %H:%M:%S %z %Z", winter) == "2026-01-01 00:00:00 +0000 GMT")
        assert(os.date("%c %z %Z", summer) == "Thu May 28 22:26:40 2026 +0200 XDT")
        assert(os.date("!%c", summer) == "Thu May 28 20:26:40 2026")
        local w, s = os.date("*t", winter), os.date("*t", summer)
        assert(w.hour == 1 and w.isdst == false and s.hour == 22 and s.isdst == true)
        assert(os.date("!*t", summer).hour == 20 and os.date("!*t", summer).isdst == false)
        -- os.time reads a table as local time and gives back its instant.
        assert(os.time(w) == winter and os.time(s) == summer)
        assert(os.time({year = 2026, month = 1, day = 1, hour = 1}) == winter)
        -- ... and normalises the table in local time.
        local norm = {year = 2026, month = 6, day = 31, hour = 25}
        local t = os.time(norm)
        assert(norm.month == 7 and norm.day == 2 and norm.hour == 1 and norm.isdst == true)
        assert(os.date("!%Y-%m-%d %H:%M", t) == "2026-07-01 23:00")
        -- Times no date reaches are refused, zone or not.
        for _, x in ipairs({math.maxinteger, math.mininteger}) do
          for _, f in ipairs({"%c", "*t", "!%c", "!*t"}) do
            local ok, e = pcall(os.date, f, x)
            assert(not ok and string.find(e, "cannot be represented"), e)
          end
        end
        assert(not pcall(os.time, {year = math.maxinteger // 2, month = 1, day = 1}))
    "#;
    let (r, out) = run(host, src, "zone");
    assert_finished(&r);
    assert_eq!(out, b"");
}

#[test]
fn sandbox_reports_missing_services() {
    let src = br#"
        local ok, e = pcall(os.exit)
        assert(not ok and e == "os.exit is not available in this host")
        assert(os.getenv("HOME") == nil)
        assert(io.read() == nil)
        local f, msg = io.open("x")
        assert(f == nil and type(msg) == "string")
        -- Without a zone, local time is UTC.
        assert(os.date("%H %z %Z", 3600) == "01 +0000 UTC" and os.date("*t", 0).isdst == false)
        assert(os.time({year = 1970, month = 1, day = 2, hour = 0}) == 86400)
    "#;
    let (r, _) = run(Host::default(), src, "sandbox");
    assert_finished(&r);
}

#[test]
fn sort_comparator_may_not_yield() {
    // As in PUC Lua: table.sort calls its comparator without a continuation.
    let src = br#"
        local co = coroutine.wrap(function()
          local x = {5, 3, 1, 4, 2}
          local ok, err = pcall(table.sort, x, function(p, q) coroutine.yield("cmp"); return p < q end)
          assert(not ok and err == "attempt to yield across a C-call boundary", err)
          table.sort(x)
          coroutine.yield(table.concat(x, ","))
          return "done"
        end)
        assert(co() == "1,2,3,4,5")
        assert(co() == "done")
    "#;
    let (r, _) = run(Host::default(), src, "yieldsort");
    assert_finished(&r);
}

#[test]
fn huge_moves_run_in_bounded_slices() {
    let mut rt = Runtime::new(Default::default());
    rt.load(
        b"local t = table.move({}, 1, 3000000, 2); return #t",
        "move",
    )
    .unwrap();
    let mut slices = 0;
    let result = loop {
        match rt.step(10_000) {
            StepResult::Running => slices += 1,
            other => break other,
        }
    };
    assert_finished(&result);
    assert!(slices > 10, "the move was not sliced ({slices} slices)");
}

#[test]
fn memory_files_refuse_huge_sparse_writes() {
    let host = Host {
        fs: Some(Rc::new(MemoryFileSystem::default())),
        ..Host::default()
    };
    let src = br#"
        local f = assert(io.open("big", "w"))
        assert(f:setvbuf("no"))
        assert(f:seek("set", 1 << 50) == 1 << 50)
        local ok, msg = f:write("x")
        assert(ok == nil and type(msg) == "string")
        assert(f:seek("cur", math.mininteger) == nil)
        f:close()
        -- Buffered (the default), the error comes when the buffer is written.
        f = assert(io.open("big", "w"))
        assert(f:seek("set", 1 << 50) == 1 << 50)
        assert(f:write("x") == f)
        ok, msg = f:close()
        assert(ok == nil and type(msg) == "string")
    "#;
    let (r, _) = run(host, src, "sparse");
    assert_finished(&r);
}
