//! The sorted set against a `BTreeMap` model (every range form through ranks and
//! partition points), its encoding switches at the thresholds, and `%.17g`.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;

use super::*;

const SMALL: Limits = Limits { listpack_entries: 4, listpack_value: 6 };

/// The model: member → score, and the (score, member) order.
#[derive(Default)]
struct Model {
    scores: HashMap<Vec<u8>, f64>,
}

impl Model {
    fn sorted(&self) -> Vec<(Vec<u8>, f64)> {
        let mut all: Vec<(Vec<u8>, f64)> = self.scores.iter().map(|(m, s)| (m.clone(), *s)).collect();
        all.sort_by(|a, b| compare(a.1, &a.0, b.1, &b.0));
        all
    }
}

fn elements(zset: &ZSet) -> Vec<(Vec<u8>, f64)> {
    zset.iter().map(|(m, s)| (m.to_vec(), s)).collect()
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u16, i8),
    Remove(u16),
    RemoveRanks(u16, u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u16..300, any::<i8>()).prop_map(|(m, s)| Op::Insert(m, s)),
        3 => (0u16..300).prop_map(Op::Remove),
        1 => (0u16..300, 0u16..8).prop_map(|(a, n)| Op::RemoveRanks(a, n)),
    ]
}

fn name(m: u16) -> Vec<u8> {
    // Long names for some members, so the value threshold is crossed too.
    if m % 37 == 0 {
        format!("long-member-{m}").into_bytes()
    } else {
        format!("m{m}").into_bytes()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn behaves_like_the_model(ops in prop::collection::vec(op(), 1..1500), small in any::<bool>()) {
        let limits = if small { SMALL } else { Limits::default() };
        let mut zset = ZSet::new();
        let mut model = Model::default();
        for op in ops {
            match op {
                Op::Insert(m, s) => {
                    let score = f64::from(s) / 4.0;
                    let old = zset.insert(&name(m), score, limits);
                    prop_assert_eq!(old, model.scores.insert(name(m), score));
                }
                Op::Remove(m) => {
                    prop_assert_eq!(zset.remove(&name(m)), model.scores.remove(&name(m)));
                }
                Op::RemoveRanks(start, count) => {
                    let sorted = model.sorted();
                    let start = start as usize;
                    let end = (start + count as usize).min(sorted.len());
                    let removed = zset.remove_ranks(start, start + count as usize);
                    prop_assert_eq!(removed, end.saturating_sub(start));
                    for (member, _) in sorted.iter().take(end).skip(start) {
                        model.scores.remove(member);
                    }
                }
            }
            prop_assert_eq!(zset.len(), model.scores.len());
            zset.check();
        }
        let sorted = model.sorted();
        prop_assert_eq!(elements(&zset), sorted.clone());
        let reversed: Vec<(Vec<u8>, f64)> = zset.range(0, zset.len(), true).map(|(m, s)| (m.to_vec(), s)).collect();
        prop_assert_eq!(reversed, sorted.iter().rev().cloned().collect::<Vec<_>>());
        for (rank, (member, score)) in sorted.iter().enumerate() {
            prop_assert_eq!(zset.rank(member), Some(rank));
            prop_assert_eq!(zset.score(member), Some(*score));
            let (m, s) = zset.get(rank);
            prop_assert_eq!((m.to_vec(), s), (member.clone(), *score));
        }
        // Score bounds and middle ranges, as ZRANGEBYSCORE computes them.
        for bound in [-40.0, -1.0, 0.0, 0.25, 3.0, 40.0] {
            let below = zset.partition_point(|s, _| s < bound);
            prop_assert_eq!(below, sorted.iter().filter(|(_, s)| *s < bound).count());
        }
        let len = zset.len();
        for (start, end) in [(0, 3), (len / 3, len / 2), (len.saturating_sub(5), len + 10)] {
            let got: Vec<_> = zset.range(start, end, false).map(|(m, s)| (m.to_vec(), s)).collect();
            let want: Vec<_> = sorted.iter().skip(start).take(end.saturating_sub(start)).cloned().collect();
            prop_assert_eq!(got, want.clone());
            let got: Vec<_> = zset.range(start, end, true).map(|(m, s)| (m.to_vec(), s)).collect();
            prop_assert_eq!(got, want.into_iter().rev().collect::<Vec<_>>());
        }
        // Every member is scanned at least once.
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        loop {
            cursor = zset.scan(cursor, 7, |m, _| { seen.insert(m.to_vec()); });
            if cursor == 0 { break; }
        }
        prop_assert_eq!(seen.len(), len);
    }
}

#[test]
fn a_listpack_becomes_a_skiplist_past_either_threshold() {
    let mut zset = ZSet::new();
    for i in 0..4 {
        zset.insert(format!("m{i}").as_bytes(), i as f64, SMALL);
    }
    assert_eq!(zset.encoding_name(), "listpack");
    zset.insert(b"m4", 4.0, SMALL);
    assert_eq!(zset.encoding_name(), "skiplist");
    let mut zset = ZSet::new();
    zset.insert(b"abcdef", 1.0, SMALL);
    assert_eq!(zset.encoding_name(), "listpack");
    zset.insert(b"abcdefg", 1.0, SMALL);
    assert_eq!(zset.encoding_name(), "skiplist");
    assert_eq!(elements(&zset), vec![(b"abcdef".to_vec(), 1.0), (b"abcdefg".to_vec(), 1.0)]);
    zset.remove(b"abcdefg");
    zset.shrink_to_fit(SMALL);
    assert_eq!(zset.encoding_name(), "listpack");
}

#[test]
fn equal_scores_order_by_member_bytes_and_minus_zero_equals_zero() {
    let mut zset = ZSet::new();
    zset.insert(b"b", 0.0, SMALL);
    zset.insert(b"a", -0.0, SMALL);
    zset.insert(b"c", -0.0, SMALL);
    let members: Vec<_> = zset.iter().map(|(m, _)| m.to_vec()).collect();
    assert_eq!(members, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    assert_eq!(format_score(zset.score(b"a").unwrap()), "0", "a listpack spells -0 as 0");
    let mut large = ZSet::for_members(200, 1, SMALL);
    large.insert(b"a", -0.0, SMALL);
    assert_eq!(format_score(large.score(b"a").unwrap()), "-0", "a skiplist keeps the sign");
}

#[test]
fn large_sets_keep_ranks() {
    let mut zset = ZSet::new();
    for i in (0..5000u32).rev() {
        zset.insert(format!("{i:08}").as_bytes(), f64::from(i % 100), Limits::default());
    }
    for i in (0..5000u32).step_by(3) {
        zset.remove(format!("{i:08}").as_bytes());
    }
    let sorted = elements(&zset);
    assert_eq!(sorted.len(), zset.len());
    assert!(sorted.windows(2).all(|w| compare(w[0].1, &w[0].0, w[1].1, &w[1].0) == Ordering::Less));
    for (rank, (member, _)) in sorted.iter().enumerate() {
        assert_eq!(zset.rank(member), Some(rank));
    }
}

#[test]
fn scores_print_as_percent_17g() {
    let cases = [
        (1.1, "1.1000000000000001"),
        (1.0, "1"),
        (0.5, "0.5"),
        (-2.5, "-2.5"),
        (1e16, "10000000000000000"),
        (1e17, "1e+17"),
        (0.0001, "0.0001"),
        (0.00001, "1.0000000000000001e-05"),
        (3.0e-300, "3.0000000000000002e-300"),
        (f64::MAX, "1.7976931348623157e+308"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (123456789.0, "123456789"),
        (0.1, "0.10000000000000001"),
        (-0.0, "-0"),
        (-7.0, "-7"),
        (999999999999999.0, "999999999999999"),
        (1e15, "1000000000000000"),
    ];
    for (value, text) in cases {
        assert_eq!(format_score(value), text, "{value}");
    }
}

proptest! {
    /// The whole-number fast path of `format_score` prints what the general
    /// `%.17g` digits do.
    #[test]
    fn whole_scores_print_as_the_general_path_does(n in -1_000_000_000_000_000i64..1_000_000_000_000_000i64) {
        let value = n as f64;
        prop_assert_eq!(format_score(value), format_score_digits(value));
    }
}

/// Pops from both ends and the middle of a set spanning many chunks: the
/// back-index renames the moved position each time (checked after every pop),
/// and what is left stays in (score, member) order.
#[test]
fn pops_keep_the_back_index_consistent() {
    let mut zset = ZSet::new();
    let mut model = Model::default();
    for m in 0..500u16 {
        let score = f64::from(m % 17);
        zset.insert(&name(m), score, SMALL);
        model.scores.insert(name(m), score);
    }
    let mut turn = 0usize;
    while !zset.is_empty() {
        let sorted = model.sorted();
        let rank = match turn % 3 {
            0 => 0,
            1 => sorted.len() - 1,
            _ => sorted.len() / 2,
        };
        let popped = zset.remove_rank(rank);
        assert_eq!((popped.member().to_vec(), popped.score()), sorted[rank].clone());
        model.scores.remove(&sorted[rank].0);
        zset.check();
        turn += 1;
    }
    assert_eq!(turn, 500);
}
