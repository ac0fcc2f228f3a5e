use super::*;
use crate::engine::value::probe::Probe;

fn string(e: &Entry) -> &[u8] {
    e.string().expect("a string entry")
}

#[test]
fn round_trips_key_value_and_expiry() {
    let mut e = Entry::new(b"k\0\r\n", b"\xffvalue", None);
    assert_eq!(e.key(), b"k\0\r\n");
    assert_eq!(string(&e), b"\xffvalue");
    assert_eq!((e.kind(), e.expire_at_ms()), (Kind::String, None));
    e.set_expire_at_ms(Some(42));
    assert_eq!((e.key(), string(&e), e.expire_at_ms()), (&b"k\0\r\n"[..], &b"\xffvalue"[..], Some(42)));
    e.set_value(b"longer value");
    assert_eq!((string(&e), e.expire_at_ms()), (&b"longer value"[..], Some(42)));
    e.set_expire_at_ms(None);
    assert_eq!(e.expire_at_ms(), None);
    assert!(!e.is_expired(u64::MAX));
    e.overwrite(b"x", Some(7));
    assert_eq!((e.key(), string(&e), e.expire_at_ms()), (&b"k\0\r\n"[..], &b"x"[..], Some(7)));
    assert!(e.is_expired(7) && !e.is_expired(6));
}

#[test]
fn empty_key_and_value_are_fine() {
    let e = Entry::new(b"", b"", Some(1));
    assert_eq!((e.key(), string(&e), e.expire_at_ms()), (&b""[..], &b""[..], Some(1)));
    assert_eq!(e.clone().expire_at_ms(), Some(1));
}

#[test]
fn same_size_overwrite_stays_in_place_and_keeps_metadata() {
    let mut e = Entry::new(b"key", b"aaaa", None);
    e.set_meta(12345);
    let before = e.header;
    e.overwrite(b"bbbb", None);
    assert_eq!(e.header, before);
    assert_eq!((string(&e), e.meta()), (&b"bbbb"[..], 12345));
    e.overwrite(b"ccccc", None);
    assert_eq!((string(&e), e.meta()), (&b"ccccc"[..], 12345));
}

#[test]
fn rekeyed_copy_keeps_value_expiry_metadata_and_encoding() {
    let mut e = Entry::new(b"from", b"v", Some(99));
    e.mark_raw();
    e.set_meta(7);
    let moved = e.with_key(b"to");
    assert_eq!(
        (moved.key(), string(&moved), moved.expire_at_ms(), moved.meta(), moved.is_raw()),
        (&b"to"[..], &b"v"[..], Some(99), 7, true)
    );
}

#[test]
fn a_short_key_and_value_fit_a_48_byte_block() {
    let e = Entry::new(b"key:000000000001", b"0123456789abcdef", None);
    assert!(e.allocated_len() <= 48, "{}", e.allocated_len());
    assert_eq!(size_of::<Entry>(), size_of::<usize>());
}

#[test]
fn the_raw_bit_follows_history_not_content() {
    let mut e = Entry::new(b"k", b"1234", None);
    assert!(!e.is_raw());
    e.mark_raw();
    assert!(e.is_raw());
    assert_eq!(string(&e), b"1234", "marking changes no byte");
    e.set_expire_at_ms(Some(5));
    assert!(e.is_raw(), "a rebuild for the expiry word keeps it");
    e.set_value(b"9999");
    assert!(!e.is_raw(), "a value set whole is encoded afresh");
    e.mark_raw();
    e.overwrite(b"other length", None);
    assert!(!e.is_raw());
}

#[test]
fn a_collection_is_tagged_and_reached_through_its_type() {
    let probe = Probe::of(&[b"a", b"b"]);
    let e = Entry::new_collection(b"key\0", Arc::new(probe.clone()), None);
    assert_eq!((e.key(), e.kind()), (&b"key\0"[..], Kind::List));
    assert_eq!(e.string(), Err(WrongType));
    assert_eq!(e.get_as::<Probe>(), Ok(&probe));
    assert_eq!(e.collection().map(|c| c.len()), Some(2));
    assert!(matches!(e.value(), Value::Collection(_)));
}

#[test]
fn a_collection_keeps_its_place_through_expiry_changes() {
    let mut e = Entry::new_collection(b"k", Arc::new(Probe::of(&[b"x"])), None);
    e.set_expire_at_ms(Some(1_000));
    assert_eq!((e.key(), e.expire_at_ms(), e.kind()), (&b"k"[..], Some(1_000), Kind::List));
    e.get_mut_as::<Probe>().unwrap().items.push(b"y".to_vec());
    assert_eq!(e.get_as::<Probe>().unwrap().items.len(), 2);
    e.set_expire_at_ms(None);
    assert_eq!((e.expire_at_ms(), e.key()), (None, &b"k"[..]));
    e.mark_raw();
    assert!(!e.is_raw(), "only strings are raw");
}

#[test]
fn copies_share_a_collection_until_one_changes() {
    let original = Entry::new_collection(b"src", Arc::new(Probe::of(&[b"a"])), Some(9));
    let mut copy = original.with_key(b"dst");
    assert!(std::ptr::eq(
        original.collection().unwrap() as *const dyn Collection as *const u8,
        copy.collection().unwrap() as *const dyn Collection as *const u8
    ));
    copy.get_mut_as::<Probe>().unwrap().items.push(b"b".to_vec());
    assert_eq!(original.get_as::<Probe>().unwrap().items.len(), 1, "the original is untouched");
    assert_eq!(copy.get_as::<Probe>().unwrap().items.len(), 2);
    assert_eq!((copy.key(), copy.expire_at_ms()), (&b"dst"[..], Some(9)));
}

#[test]
fn values_change_kind_both_ways() {
    let mut e = Entry::new(b"k", b"text", Some(3));
    e.set_collection(Arc::new(Probe::of(&[b"m"])));
    assert_eq!((e.kind(), e.expire_at_ms(), e.key()), (Kind::List, Some(3), &b"k"[..]));
    e.overwrite(b"again", None);
    assert_eq!((e.kind(), string(&e), e.expire_at_ms()), (Kind::String, &b"again"[..], None));
    e.set_collection(Arc::new(Probe::default()));
    e.set_value(b"v");
    assert_eq!((e.kind(), string(&e)), (Kind::String, &b"v"[..]));
}

#[test]
fn dropping_entries_frees_their_collections() {
    let shared = Arc::new(Probe::of(&[b"a"]));
    let as_collection: Arc<dyn Collection> = shared.clone();
    let e = Entry::new_collection(b"k", as_collection, None);
    let c = e.with_key(b"c");
    assert_eq!(Arc::strong_count(&shared), 3);
    drop(e);
    drop(c);
    assert_eq!(Arc::strong_count(&shared), 1, "both entries released the structure");
}
