//! `luahome run FILE --home PATH`: `_home` survives between processes, and a
//! damaged home file is reported without being overwritten.

use std::process::{Command, Output};

fn luahome(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_luahome"))
        .args(args)
        .output()
        .expect("run luahome")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn home_file_survives_between_runs() {
    let dir = std::env::temp_dir().join(format!("luahome-cli-home-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let home = dir.join("home.cbor");
    let _ = std::fs::remove_file(&home);
    let script = dir.join("count.lua");
    std::fs::write(
        &script,
        "if not _home.inc then\n  local n = 0\n  _home.inc = function() n = n + 1; return n end\nend\nprint(_home.inc())\n",
    )
    .unwrap();
    let (s, h) = (script.to_str().unwrap(), home.to_str().unwrap());
    for expected in ["1\n", "2\n", "3\n"] {
        let out = luahome(&["run", s, "--home", h]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), expected);
    }
    let out = luahome(&["--home", h, "-e", "print(Memory.inc())"]);
    assert_eq!(text(&out.stdout), "4\n", "{}", text(&out.stderr));

    // os.exit ends the process from inside a callback: pending writes and
    // buffered output are saved first.
    let out = luahome(&[
        "--home",
        h,
        "-e",
        "print('bye') _home.last = 'exit' os.exit(3)",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "bye\n");
    let out = luahome(&["--home", h, "-e", "print(_home.last)"]);
    assert_eq!(text(&out.stdout), "exit\n", "{}", text(&out.stderr));

    std::fs::write(&home, b"not a home").unwrap();
    let out = luahome(&["run", s, "--home", h]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("home.cbor"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&home).unwrap(), b"not a home");

    let out = luahome(&["run", s, "--home"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("'--home' needs argument"));
    let _ = std::fs::remove_dir_all(&dir);
}
