//! The stream against a `BTreeMap` model: appends, deletes, ranges both ways and
//! both trims, with small node limits so entries span many nodes; the lag counters;
//! the rewrite's commands.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

const SMALL: Limits = Limits { max_bytes: 64, max_entries: 4 };

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;
type Model = BTreeMap<StreamId, Pairs>;

fn pairs_of(entry: &EntryView<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    entry.pairs.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
}

fn contents(stream: &Stream) -> Vec<(StreamId, Pairs)> {
    stream.range(StreamId::MIN, StreamId::MAX, false).map(|e| (e.id, pairs_of(&e))).collect()
}

#[derive(Clone, Debug)]
enum Op {
    Add { gap: u64, same_ms: bool, fields: Vec<(u8, u8)> },
    Delete(usize),
    MaxLen { max: u64, approx: bool },
    MinId { at: usize, approx: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u64..3, any::<bool>(), prop::collection::vec((0u8..3, any::<u8>()), 1..4))
            .prop_map(|(gap, same_ms, fields)| Op::Add { gap, same_ms, fields }),
        2 => (0usize..40).prop_map(Op::Delete),
        1 => (0u64..20, any::<bool>()).prop_map(|(max, approx)| Op::MaxLen { max, approx }),
        1 => (0usize..40, any::<bool>()).prop_map(|(at, approx)| Op::MinId { at, approx }),
    ]
}

proptest! {
    #[test]
    fn stream_behaves_like_an_ordered_map(ops in prop::collection::vec(op(), 1..80)) {
        let mut stream = Stream::new();
        let mut model = Model::new();
        let mut added = 0u64;
        for op in ops {
            match op {
                Op::Add { gap, same_ms, fields } => {
                    let ms = stream.last_id.ms + gap;
                    let id = if same_ms { stream.next_id_in(stream.last_id.ms) } else { stream.next_id(ms) }
                        .unwrap();
                    let owned: Vec<(Vec<u8>, Vec<u8>)> =
                        fields.iter().map(|(f, v)| (vec![b'f', *f], vec![*v; (*v % 5) as usize])).collect();
                    let pairs: Vec<(&[u8], &[u8])> = owned.iter().map(|(f, v)| (&f[..], &v[..])).collect();
                    stream.append(id, &pairs, SMALL);
                    model.insert(id, owned);
                    added += 1;
                }
                Op::Delete(at) => {
                    let id = model.keys().nth(at).copied().unwrap_or(StreamId::new(999, 0));
                    prop_assert_eq!(stream.delete(id), model.remove(&id).is_some());
                }
                Op::MaxLen { max, approx } => {
                    let before = stream.len();
                    let removed = stream.trim(Trim::MaxLen(max), approx, 0);
                    prop_assert_eq!(before - removed, stream.len());
                    if !approx {
                        prop_assert_eq!(stream.len(), before.min(max));
                    } else {
                        prop_assert!(stream.len() >= max.min(before));
                    }
                    while model.len() as u64 > stream.len() {
                        model.pop_first();
                    }
                }
                Op::MinId { at, approx } => {
                    let min = model.keys().nth(at).copied().unwrap_or(StreamId::MAX);
                    stream.trim(Trim::MinId(min), approx, 0);
                    if !approx {
                        model.retain(|id, _| *id >= min);
                    } else {
                        while model.len() as u64 > stream.len() {
                            model.pop_first();
                        }
                        prop_assert!(model.keys().all(|id| *id >= min) || !stream.is_empty());
                    }
                }
            }
            prop_assert_eq!(stream.len(), model.len() as u64);
            prop_assert_eq!(stream.entries_added, added);
            let expected: Vec<_> = model.iter().map(|(id, p)| (*id, p.clone())).collect();
            prop_assert_eq!(contents(&stream), expected);
            prop_assert_eq!(stream.first_id(), model.keys().next().copied().unwrap_or(StreamId::MIN));
            prop_assert_eq!(stream.last_live_id(), model.keys().next_back().copied());
            prop_assert_eq!(stream.last_entry().map(|e| e.id), model.keys().next_back().copied());
        }
        // Ranges both ways, inclusive bounds anywhere.
        let ids: Vec<StreamId> = model.keys().copied().collect();
        for (i, &start) in ids.iter().enumerate() {
            for &end in &ids[i..] {
                let forward: Vec<StreamId> = stream.range(start, end, false).map(|e| e.id).collect();
                let expected: Vec<StreamId> = model.range(start..=end).map(|(id, _)| *id).collect();
                prop_assert_eq!(&forward, &expected);
                let mut backward: Vec<StreamId> = stream.range(start, end, true).map(|e| e.id).collect();
                backward.reverse();
                prop_assert_eq!(backward, expected);
            }
        }
    }
}

fn add(stream: &mut Stream, ms: u64, seq: u64) {
    stream.append(StreamId::new(ms, seq), &[(b"f", b"v")], Limits::default());
}

#[test]
fn nodes_split_at_the_entry_limit_and_share_master_fields() {
    let mut stream = Stream::new();
    for i in 0..250 {
        add(&mut stream, 1, i);
    }
    assert_eq!(stream.node_count(), 3);
    // 100 entries of `f v` with the same fields: a few bytes each.
    assert!(stream.heap_bytes() < 250 * 12, "{}", stream.heap_bytes());
    assert_eq!(stream.get(StreamId::new(1, 120)).unwrap().pairs, vec![(&b"f"[..], &b"v"[..])]);
}

#[test]
fn approximate_maxlen_removes_only_whole_nodes() {
    let mut stream = Stream::new();
    for i in 0..250 {
        add(&mut stream, 1, i);
    }
    assert_eq!(stream.trim(Trim::MaxLen(120), true, 0), 100);
    assert_eq!(stream.len(), 150);
    assert_eq!(stream.trim(Trim::MaxLen(120), false, 0), 30);
    assert_eq!(stream.first_id(), StreamId::new(1, 130));
    // A limit smaller than a node stops an approximate trim.
    assert_eq!(stream.trim(Trim::MaxLen(0), true, 10), 0);
}

#[test]
fn ids_at_the_top_of_the_range() {
    let mut stream = Stream::new();
    stream.append(StreamId::new(u64::MAX, u64::MAX - 1), &[(b"a", b"1")], Limits::default());
    assert_eq!(stream.next_id(5), Some(StreamId::MAX));
    assert_eq!(stream.next_id_in(u64::MAX), Some(StreamId::MAX));
    stream.append(StreamId::MAX, &[(b"a", b"2")], Limits::default());
    assert_eq!(stream.next_id(5), None);
    assert_eq!(stream.next_id_in(u64::MAX), None);
    assert_eq!(stream.range(StreamId::MIN, StreamId::MAX, true).count(), 2);
    assert_eq!(StreamId::MAX.next(), None);
    assert_eq!(StreamId::MIN.prev(), None);
    assert_eq!(StreamId::new(5, 0).prev(), Some(StreamId::new(4, u64::MAX)));
}

#[test]
fn lag_follows_redis_estimates() {
    let mut stream = Stream::new();
    for i in 1..=5 {
        add(&mut stream, i, 0);
    }
    let group = Group::new(StreamId::MIN, Some(0));
    assert_eq!(stream.lag(&group), Some(5));
    assert_eq!(stream.estimate_entries_read(StreamId::new(5, 0)), Some(5));
    assert_eq!(stream.estimate_entries_read(StreamId::new(1, 0)), Some(1));
    assert_eq!(stream.estimate_entries_read(StreamId::new(3, 0)), None);
    stream.delete(StreamId::new(3, 0));
    let unknown = Group::new(StreamId::new(2, 0), None);
    assert_eq!(stream.lag(&unknown), None);
}

#[test]
fn groups_move_pending_entries_between_consumers() {
    let mut group = Group::new(StreamId::MIN, Some(0));
    assert!(group.create_consumer(b"a", 1));
    assert!(!group.create_consumer(b"a", 2));
    group.create_consumer(b"b", 1);
    group.assign(StreamId::new(1, 0), b"a", 10, 1);
    group.assign(StreamId::new(2, 0), b"a", 10, 1);
    group.assign(StreamId::new(1, 0), b"b", 20, 2);
    assert_eq!(group.consumers[&b"a"[..]].pending.len(), 1);
    assert_eq!(group.consumers[&b"b"[..]].pending.len(), 1);
    assert!(group.ack(StreamId::new(1, 0)));
    assert!(!group.ack(StreamId::new(1, 0)));
    assert_eq!(group.delete_consumer(b"a"), Some(1));
    assert!(group.pel.is_empty());
}

#[test]
fn rewrite_rebuilds_entries_counters_and_groups() {
    let mut stream = Stream::new();
    add(&mut stream, 1, 0);
    add(&mut stream, 2, 0);
    stream.delete(StreamId::new(2, 0));
    let mut group = Group::new(StreamId::new(1, 0), Some(1));
    group.create_consumer(b"alice", 0);
    group.create_consumer(b"bob", 0);
    group.assign(StreamId::new(1, 0), b"alice", 77, 3);
    stream.groups.insert(b"g".to_vec().into(), group);
    let mut lines = Vec::new();
    Collection::rewrite(&stream, b"s", &mut |c: &[&[u8]]| {
        lines.push(c.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" "))
    });
    assert_eq!(
        lines,
        [
            "XADD s 1-0 f v",
            "XSETID s 2-0 ENTRIESADDED 2 MAXDELETEDID 2-0",
            "XGROUP CREATE s g 1-0 ENTRIESREAD 1",
            "XCLAIM s g alice 0 1-0 TIME 77 RETRYCOUNT 3 JUSTID FORCE",
            "XGROUP CREATECONSUMER s g bob",
        ]
    );
}

#[test]
fn id_text_is_what_display_writes() {
    for id in [StreamId::MIN, StreamId::new(1, 2), StreamId::new(1_700_000_000_000, 7), StreamId::MAX] {
        assert_eq!(id.text().as_bytes(), id.to_string().as_bytes());
    }
    assert_eq!(StreamId::MAX.text().as_bytes(), b"18446744073709551615-18446744073709551615");
}

#[test]
fn the_last_live_id_skips_a_deleted_tail() {
    let mut stream = Stream::new();
    for seq in 1..=3 {
        add(&mut stream, 5, seq);
    }
    assert_eq!(stream.last_live_id(), Some(StreamId::new(5, 3)));
    assert!(stream.delete(StreamId::new(5, 3)));
    assert_eq!(stream.last_live_id(), Some(StreamId::new(5, 2)));
    assert!(stream.delete(StreamId::new(5, 1)));
    assert!(stream.delete(StreamId::new(5, 2)));
    assert_eq!(stream.last_live_id(), None);
    assert_eq!(stream.first_id(), StreamId::MIN);
}
