//! The list against a `VecDeque` model, at several node limits (small ones, so the
//! chain, the splits, the merges and both conversions are exercised).

use std::collections::VecDeque;

use proptest::prelude::*;

use super::*;

#[derive(Clone, Debug)]
enum Op {
    Push(End, Vec<Vec<u8>>),
    Pop(End),
    Set(usize, Vec<u8>),
    Insert(usize, Vec<u8>),
    Remove(Vec<u8>, Option<usize>, bool),
    Trim(usize, usize),
    Range(usize, usize),
}

fn item() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::sample::select(vec![b"a".to_vec(), b"b".to_vec(), b"".to_vec()]),
        2 => proptest::collection::vec(any::<u8>(), 0..20),
        1 => proptest::collection::vec(any::<u8>(), 120..300),
    ]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Left), Just(End::Right)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (end(), proptest::collection::vec(item(), 1..12)).prop_map(|(e, v)| Op::Push(e, v)),
        3 => end().prop_map(Op::Pop),
        1 => (any::<usize>(), item()).prop_map(|(i, v)| Op::Set(i, v)),
        2 => (any::<usize>(), item()).prop_map(|(i, v)| Op::Insert(i, v)),
        1 => (item(), proptest::option::of(0usize..4), any::<bool>()).prop_map(|(v, n, t)| Op::Remove(v, n, t)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Trim(a, b)),
        1 => (any::<usize>(), 0usize..30).prop_map(|(a, n)| Op::Range(a, n)),
    ]
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![Just(-1), Just(-2), Just(-7), Just(0), Just(1), Just(3), Just(5), Just(100)]
        .prop_map(|fill| Limits { fill })
}

/// Checks everything the list says about itself against the model.
fn agree(list: &List, model: &VecDeque<Vec<u8>>, limits: Limits) -> Result<(), TestCaseError> {
    prop_assert_eq!(list.len(), model.len());
    prop_assert!(list.iter().eq(model.iter().map(|v| &v[..])));
    prop_assert!(list.iter().rev().eq(model.iter().rev().map(|v| &v[..])));
    prop_assert_eq!(list.nodes.iter().map(Node::len).sum::<usize>(), model.len());
    prop_assert!(list.nodes.iter().all(|n| n.len() > 0), "no empty node");
    if !list.quick {
        prop_assert!(list.nodes.len() <= 1, "a listpack is one node");
    }
    {
        for node in &list.nodes {
            // A node over its limit holds one element only (a large one).
            prop_assert!(
                node.len() == 1 || !limits.exceeded(node.byte_len() + LISTPACK_OVERHEAD, node.len()),
                "node of {} entries, {} bytes",
                node.len(),
                node.byte_len()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn a_list_behaves_like_a_vecdeque(limits in limits(), ops in proptest::collection::vec(op(), 0..80)) {
        let mut list = List::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for op in ops {
            match op {
                Op::Push(end, items) => {
                    list.push(end, &items, limits);
                    for item in items {
                        match end {
                            End::Left => model.push_front(item),
                            End::Right => model.push_back(item),
                        }
                    }
                }
                Op::Pop(end) => {
                    let expected = match end {
                        End::Left => model.pop_front(),
                        End::Right => model.pop_back(),
                    };
                    prop_assert_eq!(list.peek(end).map(<[u8]>::to_vec), expected.clone());
                    prop_assert_eq!(list.pop(end, limits), expected);
                }
                Op::Set(i, v) => {
                    let i = i % (model.len() + 1);
                    let ok = list.set(i, &v, limits);
                    prop_assert_eq!(ok, i < model.len());
                    if ok {
                        model[i] = v;
                    }
                }
                Op::Insert(i, v) => {
                    let i = i % (model.len() + 1);
                    list.insert(i, &v, limits);
                    model.insert(i, v);
                }
                Op::Remove(v, limit, from_tail) => {
                    let mut left = limit.unwrap_or(usize::MAX);
                    let mut kept: Vec<Vec<u8>> = Vec::new();
                    let ordered: Vec<Vec<u8>> = if from_tail { model.iter().rev().cloned().collect() } else { model.iter().cloned().collect() };
                    let mut removed = 0;
                    for item in ordered {
                        if item == v && left > 0 {
                            left -= 1;
                            removed += 1;
                        } else {
                            kept.push(item);
                        }
                    }
                    if from_tail {
                        kept.reverse();
                    }
                    prop_assert_eq!(list.remove_matching(&v, limit, from_tail, limits), removed);
                    model = kept.into();
                }
                Op::Trim(a, b) if !model.is_empty() => {
                    let (a, b) = (a % model.len(), b % model.len());
                    let (start, end) = (a.min(b), a.max(b));
                    list.trim(start, end, limits);
                    model = model.range(start..=end).cloned().collect();
                }
                Op::Range(start, count) => {
                    let start = start % (model.len() + 2);
                    let got: Vec<&[u8]> = list.range(start, count).collect();
                    let want: Vec<&[u8]> = model.iter().skip(start).take(count).map(|v| &v[..]).collect();
                    prop_assert_eq!(got, want);
                }
                _ => {}
            }
            agree(&list, &model, limits)?;
            for (i, v) in model.iter().enumerate() {
                prop_assert_eq!(list.get(i), Some(&v[..]));
            }
            prop_assert_eq!(list.get(model.len()), None);
        }
    }
}

#[test]
fn the_encoding_follows_7_2s_rules() {
    let limits = Limits { fill: 4 };
    let mut list = List::new();
    list.push(End::Right, &[b"a", b"b", b"c", b"d"], limits);
    assert_eq!(list.encoding_name(), "listpack");
    list.push(End::Right, &[b"e"], limits);
    assert_eq!(list.encoding_name(), "quicklist");
    assert_eq!(list.node_count(), 2);
    // Back to a listpack only at half a node's limit, in one node.
    list.pop(End::Right, limits);
    list.pop(End::Right, limits);
    assert_eq!(list.encoding_name(), "quicklist");
    list.pop(End::Right, limits);
    assert_eq!((list.encoding_name(), list.len()), ("listpack", 2));
    // Bytes: 8 KB nodes by default.
    let mut list = List::new();
    let big = vec![b'x'; 4000];
    list.push(End::Left, &[&big[..], &big[..]], Limits::default());
    assert_eq!(list.encoding_name(), "listpack");
    list.push(End::Left, &[&big[..]], Limits::default());
    assert_eq!(list.encoding_name(), "quicklist");
    assert_eq!(list.free_effort(), list.node_count());
}

#[test]
fn a_long_list_keeps_its_nodes_full_and_its_bytes_per_element_low() {
    let mut list = List::new();
    let limits = Limits::default();
    for i in 0..100_000u64 {
        let item = format!("{i:016}");
        list.push(if i % 2 == 0 { End::Left } else { End::Right }, &[item.as_bytes()], limits);
    }
    assert_eq!(list.len(), 100_000);
    let per_element = list.heap_bytes() as f64 / 100_000.0;
    assert!(per_element < 19.0, "{per_element} bytes per 16-byte element");
    // Ends near either side are cheap and right.
    assert_eq!(list.get(0), Some(&b"0000000000099998"[..]));
    assert_eq!(list.get(99_999), Some(&b"0000000000099999"[..]));
    for _ in 0..99_000 {
        list.pop(End::Left, limits);
    }
    assert_eq!(list.len(), 1000);
    assert!(list.heap_bytes() < 40_000, "popped nodes are freed: {}", list.heap_bytes());
}

#[test]
fn rewrite_writes_rpush_batches_of_64() {
    let mut list = List::new();
    let items: Vec<String> = (0..130).map(|i| i.to_string()).collect();
    list.push(End::Right, &items, Limits::default());
    let mut commands = Vec::new();
    list.rewrite(b"k", &mut |command| commands.push(command.iter().map(|a| a.to_vec()).collect::<Vec<_>>()));
    assert_eq!(commands.iter().map(Vec::len).collect::<Vec<_>>(), [66, 66, 4]);
    assert_eq!(commands[0][0], b"RPUSH");
    assert_eq!(commands[2][3], b"129");
}

#[test]
fn ends_parse_in_any_case_and_name_themselves() {
    assert_eq!(End::parse(b"left"), Some(End::Left));
    assert_eq!(End::parse(b"RiGhT"), Some(End::Right));
    assert_eq!(End::parse(b"lef"), None);
    assert_eq!(End::parse(b""), None);
    assert_eq!((End::Left.name(), End::Right.name()), ("LEFT", "RIGHT"));
}

#[test]
fn a_copy_is_its_own_and_memory_is_counted() {
    let mut list = List::new();
    let items: Vec<String> = (0..2000).map(|i| format!("{i:016}")).collect();
    list.push(End::Right, &items, Limits::default());
    let copy = list.clone_collection();
    list.pop(End::Left, Limits::default());
    assert_eq!(copy.len(), 2000);
    assert_eq!(list.len(), 1999);
    assert!(list.heap_bytes() >= 1999 * 18, "{}", list.heap_bytes());
    assert_eq!(copy.encoding(), "quicklist");
}
