//! piccolo's table (patched in `vendor/piccolo`, see its PATCHES.md) against a
//! model map, under random sets, nil assignments and traversals: no panic
//! ("all keys must be live when table is grown" was a trap in wasm), no lost
//! or resurrected entries, and `next` visits every entry once even when the
//! visited entries are assigned (new values or nil) during the traversal;
//! `replace_string` (the interpreter's overwrite of an existing field)
//! succeeds exactly when the key is live; `set_array`/`get_array` (the
//! interpreter's `t[i]` in the array part) and `get_int`/`replace_int`
//! (integer keys of the map) agree with the model; `length`
//! (with its remembered border, patch 20) always gives a border.

use std::collections::HashMap;

use piccolo::{Lua, Table, Value};

/// xorshift64*: a fixed sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Key `i` of the pool: small and sparse integers (0 and negatives too),
/// strings, and an integral float (which normalises to an integer key).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum K {
    Int(i64),
    Str(u32),
}

fn pool_key(rng: &mut Rng) -> K {
    match rng.below(4) {
        0 => K::Int(rng.below(40) as i64 - 4),
        1 => K::Int(1 + rng.below(8) as i64 * 97),
        _ => K::Str(rng.below(60) as u32),
    }
}

fn key_value<'gc>(ctx: piccolo::Context<'gc>, k: K, float: bool) -> Value<'gc> {
    match k {
        K::Int(i) if float => Value::Number(i as f64),
        K::Int(i) => Value::Integer(i),
        K::Str(s) => Value::String(ctx.intern(format!("s{s}").as_bytes())),
    }
}

/// `#t` is a border of the model: `t[n]` is set (or `n` is 0) and `t[n + 1]` is nil.
fn check_border(t: Table<'_>, model: &HashMap<K, i64>, round: usize) {
    let n = t.length();
    assert!(n >= 0, "round {round}: #t = {n}");
    assert!(
        n == 0 || model.contains_key(&K::Int(n)),
        "round {round}: t[#t] is nil (#t = {n})"
    );
    assert!(
        !model.contains_key(&K::Int(n + 1)),
        "round {round}: t[#t + 1] is set (#t = {n})"
    );
}

fn check<'gc>(ctx: piccolo::Context<'gc>, t: Table<'gc>, model: &HashMap<K, i64>, round: usize) {
    for i in -4..800 {
        let want = model.get(&K::Int(i)).copied();
        let got = t.get_value(Value::Integer(i));
        assert_eq!(got.to_integer(), want, "round {round}: t[{i}]");
        // The array part's direct read, where it answers, agrees.
        if let Some(got) = t.get_array(i) {
            assert_eq!(got.to_integer(), want, "round {round}: array t[{i}]");
        }
        // So does the integer-key read (array part, then the map's own probe).
        assert_eq!(
            t.get_int(i).to_integer(),
            want,
            "round {round}: get_int t[{i}]"
        );
    }
    for s in 0..60 {
        let want = model.get(&K::Str(s)).copied();
        let got = t.get_value(key_value(ctx, K::Str(s), false));
        assert_eq!(got.to_integer(), want, "round {round}: t.s{s}");
    }
    // A whole traversal sees exactly the model's entries.
    let mut seen = 0;
    let mut key = Value::Nil;
    loop {
        match t.next(key) {
            piccolo::table::NextValue::Found { key: k, value } => {
                assert!(!value.is_nil(), "round {round}: next gave a nil value");
                seen += 1;
                key = k;
            }
            piccolo::table::NextValue::Last => break,
            piccolo::table::NextValue::NotFound => panic!("round {round}: next lost its key"),
        }
    }
    assert_eq!(seen, model.len(), "round {round}: traversal count");
}

#[test]
fn random_sets_and_nil_assignments_match_a_model() {
    let mut lua = Lua::core();
    for seed in 1..=100u64 {
        lua.enter(|ctx| {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let t = Table::new(&ctx);
            let mut model: HashMap<K, i64> = HashMap::new();
            for round in 0..1000 {
                let k = pool_key(&mut rng);
                let float = matches!(k, K::Int(_)) && rng.below(5) == 0;
                if rng.below(3) == 0 {
                    let key = key_value(ctx, k, float);
                    let in_array = match key {
                        Value::Integer(i) if rng.below(2) == 0 => t.set_array(&ctx, i, Value::Nil),
                        _ => false,
                    };
                    if !in_array {
                        t.set_value(&ctx, key, Value::Nil).unwrap();
                    }
                    model.remove(&k);
                } else {
                    let v = rng.below(1000) as i64 + 1;
                    let key = key_value(ctx, k, float);
                    // Half the string writes try the one-probe overwrite
                    // first: it succeeds exactly for a live key.
                    let replaced = match key {
                        Value::String(s) if rng.below(2) == 0 => {
                            let done = t.replace_string(&ctx, s, Value::Integer(v));
                            assert_eq!(done, model.contains_key(&k), "round {round}: {k:?}");
                            done
                        }
                        // The other half of the integer writes try the array
                        // part in place first, then a key the map holds (the
                        // interpreter's `t[i] = v`; an integer key assigned nil
                        // keeps its entry, which may be reused); `check`
                        // compares the results with the model.
                        Value::Integer(i) if rng.below(2) == 0 => {
                            t.set_array(&ctx, i, Value::Integer(v))
                                || t.replace_int(&ctx, i, Value::Integer(v))
                        }
                        _ => false,
                    };
                    if !replaced {
                        t.set_value(&ctx, key, Value::Integer(v)).unwrap();
                    }
                    model.insert(k, v);
                }
                check_border(t, &model, round);
                if round % 50 == 49 {
                    check(ctx, t, &model, round);
                }
            }
            check(ctx, t, &model, 1000);
        });
    }
}

/// Appends (`t[#t + 1] = v`, where the remembered border moves by one),
/// removals at the end and in the middle, and clears of whole runs: `#t`
/// stays a border throughout.
#[test]
fn length_stays_a_border_under_appends_and_holes() {
    let mut lua = Lua::core();
    for seed in 1..=40u64 {
        lua.enter(|ctx| {
            let mut rng = Rng(seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1);
            let t = Table::new(&ctx);
            let mut model: HashMap<K, i64> = HashMap::new();
            for round in 0..3000 {
                let n = t.length();
                match rng.below(10) {
                    0..=5 => {
                        t.set_value(&ctx, Value::Integer(n + 1), Value::Integer(round as i64))
                            .unwrap();
                        model.insert(K::Int(n + 1), round as i64);
                    }
                    6 if n > 0 => {
                        t.set_value(&ctx, Value::Integer(n), Value::Nil).unwrap();
                        model.remove(&K::Int(n));
                    }
                    7 if n > 0 => {
                        let i = 1 + rng.below(n as u64) as i64;
                        t.set_value(&ctx, Value::Integer(i), Value::Nil).unwrap();
                        model.remove(&K::Int(i));
                    }
                    8 => {
                        let i = 1 + rng.below(n as u64 + 8) as i64;
                        t.set_value(&ctx, Value::Integer(i), Value::Integer(-1))
                            .unwrap();
                        model.insert(K::Int(i), -1);
                    }
                    _ if n > 4 => {
                        let from = 1 + rng.below(n as u64) as i64;
                        for i in from..=n.min(from + 6) {
                            t.set_value(&ctx, Value::Integer(i), Value::Nil).unwrap();
                            model.remove(&K::Int(i));
                        }
                    }
                    _ => {}
                }
                check_border(t, &model, round);
            }
        });
    }
}

#[test]
fn traversal_survives_assignments_to_visited_entries() {
    let mut lua = Lua::core();
    lua.enter(|ctx| {
        for n in [3usize, 7, 14, 28, 100] {
            // n string keys fill the map part exactly at 3, 7, 14 and 28.
            let t = Table::new(&ctx);
            for i in 0..n {
                t.set_value(
                    &ctx,
                    key_value(ctx, K::Str(i as u32), false),
                    Value::Integer(1),
                )
                .unwrap();
            }
            // Overwrite every visited entry: each is visited once.
            let mut visits = HashMap::new();
            let mut key = Value::Nil;
            while let piccolo::table::NextValue::Found { key: k, .. } = t.next(key) {
                *visits.entry(format!("{k:?}")).or_insert(0) += 1;
                t.set_value(&ctx, k, Value::Integer(2)).unwrap();
                key = k;
            }
            assert_eq!(visits.len(), n, "n = {n}: entries visited");
            assert!(
                visits.values().all(|&c| c == 1),
                "n = {n}: an entry visited twice"
            );
            // Clear while traversing, then refill: no panic, nothing left over.
            let mut key = Value::Nil;
            while let piccolo::table::NextValue::Found { key: k, .. } = t.next(key) {
                t.set_value(&ctx, k, Value::Nil).unwrap();
                key = k;
            }
            assert!(matches!(
                t.next(Value::Nil),
                piccolo::table::NextValue::Last
            ));
            for i in 0..n {
                t.set_value(
                    &ctx,
                    key_value(ctx, K::Str(1000 + i as u32), false),
                    Value::Integer(3),
                )
                .unwrap();
            }
            assert!(t.get_value(key_value(ctx, K::Str(0), false)).is_nil());
        }
    });
}
