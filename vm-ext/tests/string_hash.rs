//! The strings' stored hash (vendor/piccolo `str_hash`, PATCHES.md 19)
//! spreads typical keys over the bits hashbrown uses: on wasm32 the low 32
//! bits only (the bucket from the lowest, the control byte from bits 25-31),
//! and the field cache's slot from the lowest. A weak hash would show here
//! as keys piling into few buckets.

use std::collections::HashSet;

use piccolo::Lua;

/// How many of `hashes` fall into distinct buckets of `bits` low bits,
/// against the ~63 % that random values would fill when there are as many
/// keys as buckets.
fn distinct_low(hashes: &[u64], shift: u32, bits: u32) -> usize {
    hashes
        .iter()
        .map(|h| (h >> shift) & ((1 << bits) - 1))
        .collect::<HashSet<_>>()
        .len()
}

#[test]
fn typical_keys_spread_over_the_buckets() {
    let mut lua = Lua::core();
    lua.enter(|ctx| {
        let families: Vec<Vec<String>> = vec![
            (0..4096).map(|i| format!("k{i}")).collect(),
            (0..4096).map(|i| format!("{i}")).collect(),
            (0..4096).map(|i| format!("field_name_{i:06}")).collect(),
            (0..4096)
                .map(|i| format!("{}x", "a".repeat(i % 64 + 1)) + &(i / 64).to_string())
                .collect(),
            (0..4096)
                .map(|i| format!("a long prefix shared by every key, then {i}"))
                .collect(),
        ];
        for keys in families {
            let hashes: Vec<u64> = keys
                .iter()
                .map(|k| ctx.intern(k.as_bytes()).stored_hash())
                .collect();
            // All distinct.
            assert_eq!(
                hashes.iter().collect::<HashSet<_>>().len(),
                keys.len(),
                "{}",
                keys[7]
            );
            // Buckets: 12 low bits for 4096 keys (random: ~2590 distinct).
            let low = distinct_low(&hashes, 0, 12);
            assert!(low > 2400, "{}: {low} distinct low buckets", keys[7]);
            // The control byte (bits 25-31): every one of the 128 values used,
            // none by more than twice its share.
            let mut counts = [0usize; 128];
            for h in &hashes {
                counts[((h >> 25) & 127) as usize] += 1;
            }
            assert!(
                counts.iter().all(|&c| c > 0 && c < 64),
                "{}: {counts:?}",
                keys[7]
            );
            // The high half too (hashbrown's control byte on 64-bit hosts).
            assert!(distinct_low(&hashes, 52, 12) > 2400, "{}", keys[7]);
        }
    });
}
