//! The hash against a `std::collections::HashMap` model, the encoding switch at
//! both thresholds, the scan contract and the rewrite.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;

const SMALL: Limits = Limits { max_entries: 4, max_value: 8 };

fn hash_of(pairs: &[(&str, &str)], limits: Limits) -> Hash {
    let mut hash = Hash::new();
    for (field, value) in pairs {
        hash.insert(field.as_bytes(), value.as_bytes(), limits);
    }
    hash
}

fn sorted_pairs(hash: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut pairs: Vec<_> = hash.pairs().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
    pairs.sort();
    pairs
}

#[test]
fn insert_get_replace_remove() {
    let mut hash = Hash::new();
    assert!(hash.is_empty() && hash.is_packed());
    assert!(hash.insert(b"f", b"1", SMALL), "a new field");
    assert!(!hash.insert(b"f", b"2", SMALL), "an existing field");
    assert!(hash.insert(b"", b"", SMALL), "the empty field is a field");
    assert_eq!(hash.get(b"f"), Some(&b"2"[..]));
    assert_eq!(hash.get(b""), Some(&b""[..]));
    assert_eq!(hash.get(b"2"), None, "a value is not a field");
    assert!(hash.contains(b"f") && !hash.contains(b"g"));
    assert_eq!(hash.len(), 2);
    assert!(hash.remove(b"f"));
    assert!(!hash.remove(b"f"));
    assert_eq!(hash.len(), 1);
    assert_eq!(hash.encoding(), "listpack");
}

#[test]
fn a_packed_hash_keeps_insertion_order() {
    let hash = hash_of(&[("b", "1"), ("a", "2"), ("c", "3"), ("a", "4")], SMALL);
    let pairs: Vec<_> = hash.pairs().collect();
    assert_eq!(pairs, [(&b"b"[..], &b"1"[..]), (b"a", b"4"), (b"c", b"3")]);
}

#[test]
fn more_fields_than_the_limit_convert_to_the_dense_encoding() {
    let mut hash = hash_of(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")], SMALL);
    assert_eq!(hash.encoding(), "listpack", "at the limit");
    assert!(!hash.insert(b"d", b"5", SMALL), "replacing adds nothing");
    assert_eq!(hash.encoding(), "listpack");
    assert!(hash.insert(b"e", b"5", SMALL));
    assert_eq!(hash.encoding(), "hashtable", "past the limit");
    assert_eq!(hash.len(), 5);
    assert_eq!(hash.get(b"d"), Some(&b"5"[..]));
    // One way: emptied to one field it stays dense.
    for field in ["a", "b", "c", "d"] {
        assert!(hash.remove(field.as_bytes()));
    }
    assert_eq!(hash.encoding(), "hashtable");
    assert_eq!(sorted_pairs(&hash), [(b"e".to_vec(), b"5".to_vec())]);
}

#[test]
fn a_field_or_value_longer_than_the_limit_converts() {
    let exact = "x".repeat(SMALL.max_value);
    let longer = "x".repeat(SMALL.max_value + 1);
    assert_eq!(hash_of(&[(&exact, &exact)], SMALL).encoding(), "listpack");
    assert_eq!(hash_of(&[(&longer, "v")], SMALL).encoding(), "hashtable");
    assert_eq!(hash_of(&[("f", &longer)], SMALL).encoding(), "hashtable");
    // Even when it replaces the value of an existing field.
    let mut hash = hash_of(&[("f", "v"), ("g", "w")], SMALL);
    hash.insert(b"f", longer.as_bytes(), SMALL);
    assert_eq!(hash.encoding(), "hashtable");
    assert_eq!(hash.get(b"f"), Some(longer.as_bytes()));
    assert_eq!(hash.get(b"g"), Some(&b"w"[..]));
}

#[test]
fn heap_bytes_grow_with_the_contents() {
    let small = hash_of(&[("a", "1")], Limits::DEFAULT);
    let bigger = hash_of(&[("a", "1"), ("bbbbbbbb", "22222222")], Limits::DEFAULT);
    assert!(small.heap_bytes() > 0);
    assert!(bigger.heap_bytes() > small.heap_bytes());
    let dense = hash_of(&[("a", "1"), ("bbbbbbbb", "22222222")], Limits { max_entries: 1, max_value: 64 });
    assert_eq!(dense.encoding(), "hashtable");
    assert!(dense.heap_bytes() > bigger.heap_bytes(), "the index costs bytes");
}

#[test]
fn a_packed_scan_returns_everything_with_cursor_zero() {
    let hash = hash_of(&[("a", "1"), ("b", "2")], SMALL);
    let mut seen = Vec::new();
    assert_eq!(hash.scan(0, 1, |f, v| seen.push((f.to_vec(), v.to_vec()))), 0);
    assert_eq!(seen, [(b"a".to_vec(), b"1".to_vec()), (b"b".to_vec(), b"2".to_vec())]);
}

#[test]
fn a_dense_scan_visits_every_pair_present_throughout() {
    let limits = Limits { max_entries: 8, max_value: 64 };
    let mut hash = Hash::new();
    for i in 0..200 {
        hash.insert(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), limits);
    }
    assert_eq!(hash.encoding(), "hashtable");
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut calls = 0;
    loop {
        cursor = hash.scan(cursor, 10, |f, v| {
            assert_eq!(&f[1..], &v[1..], "a field comes with its own value");
            seen.insert(f.to_vec());
        });
        calls += 1;
        // Change the hash between calls: fields 0..100 stay throughout.
        let extra = format!("extra{calls}");
        hash.insert(extra.as_bytes(), b"x", limits);
        hash.remove(format!("f{}", 199 - calls).as_bytes());
        if cursor == 0 {
            break;
        }
        assert!(calls < 1000, "the scan ends");
    }
    assert!(calls > 1, "a dense scan takes several calls");
    for i in 0..100 {
        assert!(seen.contains(format!("f{i}").as_bytes()), "f{i} was never visited");
    }
}

#[test]
fn the_sampler_indexes_every_pair_once() {
    for limits in [SMALL, Limits { max_entries: 1, max_value: 64 }] {
        let hash = hash_of(&[("a", "1"), ("b", "2"), ("c", "3")], limits);
        let sampler = hash.sampler();
        assert_eq!(sampler.len(), 3);
        let mut pairs: Vec<_> = (0..sampler.len()).map(|i| sampler.at(i)).collect();
        pairs.sort();
        assert_eq!(pairs, [(&b"a"[..], &b"1"[..]), (b"b", b"2"), (b"c", b"3")], "{}", hash.encoding());
    }
}

/// Replays the commands `rewrite` emits into a fresh hash.
fn replay(hash: &Hash) -> (Hash, usize) {
    let mut rebuilt = Hash::new();
    let mut commands = 0;
    hash.rewrite(b"key", &mut |command| {
        commands += 1;
        assert_eq!(command[0], b"HSET");
        assert_eq!(command[1], b"key");
        assert!(command.len() % 2 == 0 && command.len() <= 2 + 2 * REWRITE_BATCH);
        for pair in command[2..].chunks(2) {
            rebuilt.insert(pair[0], pair[1], Limits::DEFAULT);
        }
    });
    (rebuilt, commands)
}

#[test]
fn the_rewrite_rebuilds_the_hash_in_batches_of_64() {
    let mut hash = Hash::new();
    for i in 0..130 {
        hash.insert(format!("field{i}").as_bytes(), format!("{i}").as_bytes(), Limits::DEFAULT);
    }
    let (rebuilt, commands) = replay(&hash);
    assert_eq!(commands, 3, "64 + 64 + 2");
    assert_eq!(sorted_pairs(&rebuilt), sorted_pairs(&hash));
    assert_eq!(replay(&Hash::new()).1, 0, "an empty hash writes nothing");
}

#[test]
fn a_copy_is_independent() {
    let hash = hash_of(&[("a", "1")], SMALL);
    let copy = hash.clone_collection();
    let mut hash = hash;
    hash.insert(b"b", b"2", SMALL);
    assert_eq!(copy.len(), 1);
    assert_eq!(copy.kind(), Kind::Hash);
}

/// One step of the property test.
#[derive(Clone, Debug)]
enum Op {
    Insert(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    // Mostly short (few distinct fields, so they collide), sometimes past the limit.
    prop_oneof![
        4 => proptest::collection::vec(0u8..4, 0..3),
        1 => proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (bytes(), bytes()).prop_map(|(f, v)| Op::Insert(f, v)),
        1 => bytes().prop_map(Op::Remove),
    ]
}

proptest! {
    #[test]
    fn the_hash_behaves_like_a_map(ops in proptest::collection::vec(op(), 0..120), max_entries in 1usize..8) {
        let limits = Limits { max_entries, max_value: 8 };
        let mut hash = Hash::new();
        let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        let mut converted = false;
        for op in ops {
            match op {
                Op::Insert(field, value) => {
                    converted |= field.len() > limits.max_value || value.len() > limits.max_value;
                    let added = hash.insert(&field, &value, limits);
                    prop_assert_eq!(added, model.insert(field, value).is_none());
                    converted |= model.len() > limits.max_entries;
                }
                Op::Remove(field) => {
                    prop_assert_eq!(hash.remove(&field), model.remove(&field).is_some());
                }
            }
            prop_assert_eq!(hash.len(), model.len());
            prop_assert_eq!(hash.encoding(), if converted { "hashtable" } else { "listpack" });
        }
        for (field, value) in &model {
            prop_assert_eq!(hash.get(field), Some(value.as_slice()));
        }
        let mut expected: Vec<_> = model.into_iter().collect();
        expected.sort();
        prop_assert_eq!(sorted_pairs(&hash), expected.clone());
        prop_assert_eq!(sorted_pairs(&replay(&hash).0), expected);
    }
}

#[test]
fn a_small_hash_fits_a_32_byte_shared_allocation() {
    // The packed buffer is one thin pointer and the dense encoding is boxed, so the
    // handle is two words; with the `Arc`'s two counts it takes one 32-byte
    // allocation class per hash, beside its buffer.
    assert_eq!(std::mem::size_of::<Packed>(), 8);
    assert_eq!(std::mem::size_of::<Hash>(), 16);
    assert_eq!(
        crate::types::allocation_size(2 * std::mem::size_of::<usize>() + std::mem::size_of::<Hash>()),
        32
    );
}
