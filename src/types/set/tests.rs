//! The set against a `std::collections::HashSet` model, and its encoding switches
//! at the thresholds.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;

fn members(set: &Set) -> HashSet<Vec<u8>> {
    set.iter().map(|m| m.to_vec()).collect()
}

fn texts(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

const SMALL: Limits = Limits { intset_entries: 8, listpack_entries: 4, listpack_value: 6 };

#[test]
fn canonical_integers_are_what_string2ll_accepts() {
    for good in ["0", "-1", "42", "9223372036854775807", "-9223372036854775808"] {
        assert!(canonical_int(good.as_bytes()).is_some(), "{good}");
    }
    for bad in ["", "+1", "01", "-0", " 1", "1 ", "9223372036854775808", "1.0", "0x10", "-"] {
        assert_eq!(canonical_int(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn integers_stay_an_intset_until_its_threshold() {
    let mut set = Set::new();
    for i in 0..8 {
        assert!(set.add(i.to_string().as_bytes(), SMALL));
    }
    assert_eq!(set.encoding_name(), "intset");
    assert!(!set.add(b"3", SMALL), "already a member");
    assert!(set.add(b"8", SMALL));
    assert_eq!(set.encoding_name(), "hashtable", "an intset past its size becomes a table");
    assert_eq!(members(&set).len(), 9);
    assert!(set.contains(b"8") && !set.contains(b"08"));
}

#[test]
fn an_intset_given_text_becomes_a_listpack_if_it_fits() {
    let mut set = Set::new();
    set.add_all(&texts(&["1", "2", "3"]), SMALL);
    assert_eq!(set.encoding_name(), "intset");
    assert!(set.add(b"a", SMALL));
    assert_eq!(set.encoding_name(), "listpack");
    assert_eq!(members(&set), texts(&["1", "2", "3", "a"]).into_iter().collect());
    // A fourth member fills it; a fifth converts it.
    assert!(set.add(b"b", SMALL));
    assert_eq!(set.encoding_name(), "hashtable");

    let mut wide = Set::new();
    wide.add_all(&texts(&["1", "1234567"]), SMALL);
    assert!(wide.add(b"x", SMALL));
    assert_eq!(wide.encoding_name(), "hashtable", "an integer too long for a listpack value");

    let mut many = Set::new();
    many.add_all(&texts(&["1", "2", "3", "4"]), SMALL);
    assert!(many.add(b"x", SMALL));
    assert_eq!(many.encoding_name(), "hashtable", "as many ints as a listpack holds");
}

#[test]
fn a_long_member_takes_a_listpack_to_a_table() {
    let mut set = Set::new();
    set.add_all(&texts(&["a"]), SMALL);
    assert_eq!(set.encoding_name(), "listpack");
    assert!(set.add(b"abcdef", SMALL));
    assert_eq!(set.encoding_name(), "listpack", "exactly the value limit");
    assert!(set.add(b"abcdefg", SMALL));
    assert_eq!(set.encoding_name(), "hashtable");
}

#[test]
fn a_fresh_set_picks_its_final_encoding_from_the_whole_sadd() {
    let ints: Vec<Vec<u8>> = (0..9).map(|i: i32| i.to_string().into_bytes()).collect();
    let mut set = Set::new();
    assert_eq!(set.add_all(&ints, SMALL), 9);
    assert_eq!(set.encoding_name(), "hashtable");

    let words = texts(&["a", "b", "c", "d", "e"]);
    let mut set = Set::new();
    assert_eq!(set.add_all(&words, SMALL), 5);
    assert_eq!(set.encoding_name(), "hashtable");

    // Only the first member decides between intset and listpack.
    let mut set = Set::new();
    set.add_all(&texts(&["a", "1"]), SMALL);
    assert_eq!(set.encoding_name(), "listpack");
    let mut set = Set::new();
    set.add_all(&texts(&["1", "a"]), SMALL);
    assert_eq!(set.encoding_name(), "listpack", "the intset converts at the second member");

    // A non-empty compact set leaves its encoding when one SADD alone outgrows it.
    let mut set = Set::new();
    set.add_all(&texts(&["a"]), SMALL);
    set.add_all(&texts(&["a", "b", "c", "d", "e"]), SMALL);
    assert_eq!(set.encoding_name(), "hashtable");
}

#[test]
fn removal_keeps_the_encoding() {
    let mut set = Set::new();
    let words = texts(&["a", "b", "c", "d", "e"]);
    set.add_all(&words, SMALL);
    for word in &words {
        assert!(set.remove(word));
    }
    assert!(set.is_empty() && !set.remove(b"a"));
    assert_eq!(set.encoding_name(), "hashtable");
}

#[test]
fn compact_sets_scan_whole_in_one_step() {
    let mut set = Set::new();
    set.add_all(&texts(&["3", "1", "2"]), Limits::default());
    let mut seen = Vec::new();
    assert_eq!(set.scan(77, 1, |m| seen.push(m.to_vec())), 0);
    assert_eq!(seen, texts(&["1", "2", "3"]), "an intset is sorted");
}

#[test]
fn the_rewrite_rebuilds_the_set_64_members_a_command() {
    let mut set = Set::new();
    let all: Vec<Vec<u8>> = (0..150).map(|i| format!("m{i}").into_bytes()).collect();
    set.add_all(&all, Limits::default());
    let mut commands: Vec<Vec<Vec<u8>>> = Vec::new();
    set.rewrite(b"key", &mut |args| commands.push(args.iter().map(|a| a.to_vec()).collect()));
    assert_eq!(commands.iter().map(|c| c.len() - 2).collect::<Vec<_>>(), [64, 64, 22]);
    let mut rebuilt = Set::new();
    for command in &commands {
        assert_eq!((&command[0][..], &command[1][..]), (&b"SADD"[..], &b"key"[..]));
        rebuilt.add_all(&command[2..], Limits::default());
    }
    assert_eq!(members(&rebuilt), members(&set));
}

#[test]
fn heap_bytes_grow_with_the_members() {
    let mut set = Set::new();
    let empty = set.heap_bytes();
    set.add_all(&texts(&["1", "2"]), Limits::default());
    let ints = set.heap_bytes();
    assert!(ints > empty);
    set.add(b"some longer member", Limits::default());
    assert!(set.heap_bytes() > ints);
}

#[derive(Debug, Clone)]
enum Op {
    Add(Vec<Vec<u8>>),
    Remove(Vec<u8>),
    Pop(u64),
}

fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (-20i64..20).prop_map(|i| i.to_string().into_bytes()),
        prop::sample::select(vec![i64::MIN, i64::MAX, 70_000, -70_000, 1 << 40])
            .prop_map(|i| i.to_string().into_bytes()),
        "[a-c0-9]{0,3}".prop_map(String::into_bytes),
        "[a-z]{5,9}".prop_map(String::into_bytes),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop::collection::vec(member(), 1..12).prop_map(Op::Add),
        2 => member().prop_map(Op::Remove),
        1 => any::<u64>().prop_map(Op::Pop),
    ]
}

fn limits() -> impl Strategy<Value = Limits> {
    (0usize..10, 0usize..8, 0usize..8).prop_map(|(intset_entries, listpack_entries, listpack_value)| Limits {
        intset_entries,
        listpack_entries,
        listpack_value,
    })
}

/// The rank of an encoding: conversions only go up.
fn rank(encoding: &str) -> u8 {
    match encoding {
        "intset" => 0,
        "listpack" => 1,
        _ => 2,
    }
}

proptest! {
    #[test]
    fn behaves_like_a_hash_set(ops in prop::collection::vec(op(), 1..60), limits in limits()) {
        let mut set = Set::new();
        let mut model: HashSet<Vec<u8>> = HashSet::new();
        let mut encoding = rank(set.encoding_name());
        for op in ops {
            let was_empty = set.is_empty();
            match op {
                Op::Add(items) => {
                    let before = model.len();
                    model.extend(items.iter().cloned());
                    prop_assert_eq!(set.add_all(&items, limits), model.len() - before);
                }
                Op::Remove(item) => prop_assert_eq!(set.remove(&item), model.remove(&item)),
                Op::Pop(random) => {
                    if !model.is_empty() {
                        let popped = set.pop_random(random);
                        prop_assert!(model.remove(&popped[..]));
                    }
                }
            }
            prop_assert_eq!(set.len(), model.len());
            prop_assert_eq!(members(&set), model.clone());
            for item in &model {
                prop_assert!(set.contains(item));
            }
            // Never back to a more compact encoding, unless rebuilt from empty.
            let now = rank(set.encoding_name());
            prop_assert!(now >= encoding || was_empty, "{} after {}", now, encoding);
            encoding = now;
            // Each encoding holds only what its thresholds allow.
            match set.encoding_name() {
                "intset" => {
                    prop_assert!(set.len() <= limits.intset_entries);
                    prop_assert!(model.iter().all(|m| canonical_int(m).is_some()));
                }
                "listpack" => {
                    prop_assert!(set.len() <= limits.listpack_entries);
                    prop_assert!(model.iter().all(|m| m.len() <= limits.listpack_value));
                }
                _ => {}
            }
            let mut scanned = HashSet::new();
            let mut cursor = 0;
            loop {
                cursor = set.scan(cursor, 3, |m| { scanned.insert(m.to_vec()); });
                if cursor == 0 { break; }
            }
            prop_assert_eq!(&scanned, &model);
            let copy = set.clone();
            prop_assert_eq!(members(&copy), model.clone());
        }
    }
}
