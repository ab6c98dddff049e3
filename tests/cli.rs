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
    // As lua5.4 prints it: the message, then the traceback.
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "luahome: {p}:3: boom\nstack traceback:\n\t[C]: in function 'error'\n\t{p}:3: in main chunk\n\t[C]: in ?"
        )
    );
}

#[test]
fn syntax_error_names_chunk_and_line() {
    let path = script("syntax.lua", "print('a')\nlocal = 2\n");
    let p = path.to_str().unwrap();
    let out = luahome(&[p]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with(&format!("luahome: {p}:2: ")), "got {err:?}");
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
    assert_eq!(
        text(&out.stderr).trim_end(),
        "luahome: (command line):1: bad\nstack traceback:\n\t[C]: in function 'error'\n\t(command line):1: in main chunk\n\t[C]: in ?"
    );
}

#[test]
fn missing_file_and_bad_arguments() {
    let out = luahome(&["run", "/nonexistent/x.lua"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot open /nonexistent/x.lua"));
    let out = luahome(&["--bogus", "a", "b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("luahome: unrecognized option '--bogus'"));
    assert!(text(&out.stderr).contains("usage:"));
    let out = luahome(&["-e"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("'-e' needs argument"));
}

#[test]
fn repl_shows_expressions_and_keeps_state() {
    // `-i`: interactive mode even though standard input is not a terminal
    // (without it, such input runs as one script, as `lua` does).
    let mut child = Command::new(env!("CARGO_BIN_EXE_luahome"))
        .arg("-i")
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
    let stdout = text(&out.stdout);
    let (version, rest) = stdout.split_once('\n').unwrap();
    assert!(version.starts_with("luahome "), "{version}");
    assert_eq!(rest, "21\nmulti\n20\n");
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
    assert_eq!(
        text(&out.stderr).trim_end(),
        "luahome: (command line): stopped"
    );
}

/// Runs `luahome` with `args`, `stdin` as its input and `env` set.
fn luahome_with(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_luahome"));
    cmd.args(args)
        .env_remove("LUA_INIT")
        .env_remove("LUA_INIT_5_4")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run luahome");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn script_arguments_and_the_arg_table_follow_lua() {
    let path = script(
        "args.lua",
        "#!/usr/bin/env lua\nprint(select('#', ...), ...)\nprint(arg[0], arg[1], arg[2], arg[-1], arg[-2], #arg)\n",
    );
    let p = path.to_str().unwrap();
    let out = luahome_with(&["-e", "x=1", p, "a", "b"], "", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("2\ta\tb\n{p}\ta\tb\tx=1\t-e\t2\n")
    );
    // No script: arg holds the whole command line from index 0.
    let out = luahome_with(&["-e", "print(arg[0], arg[1], arg[2])"], "", &[]);
    assert_eq!(
        text(&out.stdout),
        "luahome\t-e\tprint(arg[0], arg[1], arg[2])\n"
    );
    // `--` ends the options even before a name starting with '-'.
    let out = luahome_with(&["--", p, "-x"], "", &[]);
    assert_eq!(text(&out.stdout).lines().next(), Some("1\t-x"));
}

#[test]
fn options_run_in_order_and_stdin_is_a_script() {
    let out = luahome_with(
        &["-e", "a = 1", "-e", "a = a + 1", "-e", "print(a)"],
        "",
        &[],
    );
    assert_eq!(text(&out.stdout), "2\n");
    let out = luahome_with(&["-l", "s=string", "-e", "print(s.rep('ab', 2))"], "", &[]);
    assert_eq!(text(&out.stdout), "abab\n", "{}", text(&out.stderr));
    let out = luahome_with(&["-", "x", "y"], "print('in', ...)", &[]);
    assert_eq!(text(&out.stdout), "in\tx\ty\n");
    // Standard input that is not a terminal runs as a script.
    let out = luahome_with(&[], "print(1 + 1)", &[]);
    assert_eq!(text(&out.stdout), "2\n");
    let out = luahome_with(&["-v"], "", &[]);
    assert!(text(&out.stdout).starts_with("luahome "));
    let out = luahome_with(&["-W", "-e", "warn('careful')"], "", &[]);
    assert!(
        text(&out.stderr).contains("careful"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn lua_init_runs_first_unless_ignored() {
    let out = luahome_with(&["-e", "print(x)"], "", &[("LUA_INIT", "x = 'init'")]);
    assert_eq!(text(&out.stdout), "init\n");
    let out = luahome_with(
        &["-e", "print(x)"],
        "",
        &[("LUA_INIT_5_4", "x = 'five-four'"), ("LUA_INIT", "x = 1")],
    );
    assert_eq!(text(&out.stdout), "five-four\n");
    let out = luahome_with(&["-E", "-e", "print(x)"], "", &[("LUA_INIT", "x = 'init'")]);
    assert_eq!(text(&out.stdout), "nil\n");
    let init = script("init.lua", "y = 'from file'\n");
    let at = format!("@{}", init.to_str().unwrap());
    let out = luahome_with(&["-e", "print(y)"], "", &[("LUA_INIT", &at)]);
    assert_eq!(text(&out.stdout), "from file\n");
}

#[test]
fn both_engines_from_the_command_line() {
    let src = "local a, b = 1, 2 a, b = b, a print(a, b, ('x'):rep(2))";
    let out = luahome_with(&["--engine", "luahome", "-e", src], "", &[]);
    assert_eq!(text(&out.stdout), "2\t1\txx\n", "{}", text(&out.stderr));
    let out = luahome_with(&["--engine", "nope", "-e", "print(1)"], "", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unknown engine"));
}

#[test]
fn list_prints_the_compilers_listing() {
    let path = script("list.lua", "local a, b = 1, 2\na, b = b, a\nprint(a)\n");
    let out = luahome_with(&["--list", path.to_str().unwrap()], "", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    assert!(listing.starts_with("main <@"), "{listing}");
    assert!(
        listing.contains("GETTABUP") && listing.contains("\"print\""),
        "{listing}"
    );
    let bad = script("bad.lua", "x = = 1\n");
    let out = luahome_with(&["--list", bad.to_str().unwrap()], "", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("bad.lua:1: unexpected symbol near '='"));
}

#[test]
fn os_exit_writes_what_open_files_buffered() {
    // Files are buffered as C streams are; C's exit writes them out.
    let out_path = script("exit-out.txt", "");
    let body = format!(
        "local f = assert(io.open({p:?}, 'w'))\nf:write('before exit')\nos.exit(3)\n",
        p = out_path.to_str().unwrap()
    );
    let path = script("exit.lua", &body);
    let out = luahome(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), "before exit");
}
