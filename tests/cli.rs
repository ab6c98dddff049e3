//! The `luahome` binary: exit codes, output and the `chunk:line:` error format.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

fn luahome(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_luahome"))
        .args(args)
        .output()
        .expect("run luahome")
}

fn script(name: &str, body: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("luahome-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn run_file_prints_and_exits_zero() {
    let path = script("ok.lua", "for i = 1, 3 do print(i) end\nprint(1.5, 2.0)\n");
    let out = luahome(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1\n2\n3\n1.5\t2.0\n");
    assert!(out.stderr.is_empty());
}

#[test]
fn runtime_error_names_chunk_and_line() {
    let path = script("boom.lua", "local x = 1\n\nerror('boom')\n");
    let p = path.to_str().unwrap();
    let out = luahome(&["run", p]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim_end(), format!("{p}:3: boom"));
}

#[test]
fn syntax_error_names_chunk_and_line() {
    let path = script("syntax.lua", "print('a')\nlocal = 2\n");
    let p = path.to_str().unwrap();
    let out = luahome(&[p]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with(&format!("{p}:2: ")), "got {err:?}");
    assert!(
        out.stdout.is_empty(),
        "nothing runs when the chunk does not compile"
    );
}

#[test]
fn eval_flag_runs_code() {
    let out = luahome(&["-e", "print(6 * 7)"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "42\n");
    let out = luahome(&["-e", "error('bad')"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim_end(), "(command line):1: bad");
}

#[test]
fn missing_file_and_bad_arguments() {
    let out = luahome(&["run", "/nonexistent/x.lua"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot open /nonexistent/x.lua"));
    let out = luahome(&["--bogus", "a", "b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("usage:"));
}

#[test]
fn repl_shows_expressions_and_keeps_state() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_luahome"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"x = 20\nx + 1\nfunction f()\nreturn 'multi'\nend\nf()\nerror('oops')\nx\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "21\nmulti\n20\n");
    // The REPL first tries `return error('oops')`, a tail call, so piccolo has
    // no calling frame to take a line from.
    assert!(text(&out.stderr).trim_end().ends_with("oops"));
}

#[test]
fn sigint_stops_a_runaway_script() {
    let child = Command::new(env!("CARGO_BIN_EXE_luahome"))
        .args(["-e", "print('started') while true do end"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(text(&out.stdout), "started\n");
    assert_eq!(text(&out.stderr).trim_end(), "(command line): stopped");
}

#[test]
fn script_arguments_are_in_arg() {
    let path = script("args.lua", "print(#arg, arg[1], arg[2], arg[0] ~= nil)\n");
    let p = path.to_str().unwrap();
    let out = luahome(&["run", p, "10", "two words"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2\t10\ttwo words\ttrue\n");
    let out = luahome(&[p]);
    assert_eq!(text(&out.stdout), "0\tnil\tnil\ttrue\n");
}
