//! `SORT` and `SORT_RO` over lists, sets and sorted sets, as Redis 7.0's `sort.c`
//! runs them: `BY pattern` (a pattern without `*` means no sorting), `GET
//! pattern` (`#` is the element, `key->field` reads a hash field), `LIMIT offset
//! count`, `ASC|DESC`, `ALPHA` and, for `SORT` only, `STORE destination` (a list;
//! an empty result deletes it, notified `del`, else `sortstore`).
//!
//! The work is bounded by the data: one vector entry per element (with its `BY`
//! value), one key lookup per element per pattern, and an `O(n log n)` sort; the
//! output is as long as the elements times the `GET`s. `LIMIT` is clamped to the
//! element count before any arithmetic, so offsets at the `i64` limits are safe.
//! One atomic multi-key operation: the source, every pattern key and the `STORE`
//! destination are read and written under one set of shard locks (see [`run`]).

use std::cmp::Ordering;

mod number;

pub use number::sort_number;

use super::args::as_slices;
use super::pqsort::pqsort;
use super::spec::{BeginSearch, CommandSpec, FindKeys, KeySpec};
use super::{flags::*, list, Args, CommandError, CommandResult, Context, REPLIED};
use crate::engine::{events as generic, Entry, Event, EventClass, ReadView, WriteView};
use crate::types::hash::Hash;
use crate::types::list::{End, Limits, List};
use crate::types::set::Set;
use crate::types::zset::ZSet;

/// `SORT … STORE` stored its result (class `l`).
pub const SORTSTORE: Event = Event { name: "sortstore", class: EventClass::List };

const CATEGORIES: &[&str] = &["set", "sortedset", "list", "dangerous"];
const PATTERN_KEYS: KeySpec = KeySpec {
    flags: &["RO", "access"],
    notes: Some(
        "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content \
         of the key we sort",
    ),
    begin: BeginSearch::Unknown,
    find: FindKeys::Unknown,
};
const STORE_KEY: KeySpec = KeySpec {
    flags: &["OW", "update"],
    notes: Some(
        "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the \
         argument array",
    ),
    begin: BeginSearch::Unknown,
    find: FindKeys::Unknown,
};

/// `SORT` and `SORT_RO`.
pub static SPECS: &[CommandSpec] = &[
    CommandSpec::new("sort", -2, WRITE | DENYOOM, sort)
        .keys(&[KeySpec::one(1, &["RO", "access"]), PATTERN_KEYS, STORE_KEY])
        .key_finder(sort_keys)
        .categories(CATEGORIES),
    CommandSpec::new("sort_ro", -2, READONLY, sort_ro)
        .keys(&[KeySpec::one(1, &["RO", "access"]), PATTERN_KEYS])
        .categories(CATEGORIES),
];

/// `SORT`'s keys as Redis's `sortGetKeys` finds them: the source, and the key after
/// the last `STORE` (options are skipped by their known argument counts, anything
/// else is taken as a word of its own).
fn sort_keys(request: &[&[u8]]) -> Vec<(usize, usize)> {
    let mut keys = vec![(1, 0)];
    let mut store = None;
    let mut i = 2;
    while i < request.len() {
        let word = request[i].to_ascii_lowercase();
        match word.as_slice() {
            b"limit" => i += 2,
            b"get" | b"by" => i += 1,
            b"store" if i + 1 < request.len() => store = Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    keys.extend(store.map(|at| (at, 2)));
    keys
}

/// A parsed request.
#[derive(Clone)]
struct Request<'a> {
    desc: bool,
    alpha: bool,
    limit: (i64, i64),
    by: Option<&'a [u8]>,
    /// `BY` without `*`: keep the source's order.
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
    store: Option<&'a [u8]>,
    /// Called from a script, whose replies must be the same everywhere.
    in_script: bool,
}

fn parse(all: &[bytes::Bytes], readonly: bool) -> Result<Request<'_>, CommandError> {
    let mut request = Request {
        desc: false,
        alpha: false,
        limit: (0, -1),
        by: None,
        dont_sort: false,
        gets: Vec::new(),
        store: None,
        in_script: false,
    };
    let mut j = 2;
    while j < all.len() {
        let left = all.len() - j - 1;
        let word = all[j].to_ascii_lowercase();
        match word.as_slice() {
            b"asc" => request.desc = false,
            b"desc" => request.desc = true,
            b"alpha" => request.alpha = true,
            b"limit" if left >= 2 => {
                request.limit = (super::args::int(&all[j + 1])?, super::args::int(&all[j + 2])?);
                j += 2;
            }
            b"store" if left >= 1 && !readonly => {
                request.store = Some(&all[j + 1][..]);
                j += 1;
            }
            b"by" if left >= 1 => {
                let pattern = &all[j + 1][..];
                request.by = Some(pattern);
                // A constant BY pattern: no sorting, no weight lookups.
                request.dont_sort = !pattern.contains(&b'*');
                j += 1;
            }
            b"get" if left >= 1 => {
                request.gets.push(&all[j + 1][..]);
                j += 1;
            }
            _ => return Err(CommandError::Syntax),
        }
        j += 1;
    }
    Ok(request)
}

/// The key a pattern names for `element` (`lookupKeyByPattern`): the first `*`
/// replaced by it, and a `->field` suffix after the `*` split off. `None` when the
/// pattern has no `*`.
fn pattern_key<'p>(pattern: &'p [u8], element: &[u8]) -> Option<(Vec<u8>, Option<&'p [u8]>)> {
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after.windows(2).position(|w| w == b"->").filter(|&at| at + 2 < after.len());
    let (middle, field) = match arrow {
        Some(at) => (&after[..at], Some(&after[at + 2..])),
        None => (after, None),
    };
    let mut key = Vec::with_capacity(star + element.len() + middle.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(middle);
    Some((key, field))
}

/// What SORT reads through: one consistent view of every key it names.
trait View {
    /// Runs `read` on `key`'s live entry; `None` if `key` is outside the view.
    fn read<R>(&mut self, key: &[u8], read: impl FnOnce(Option<&Entry>) -> R) -> Option<R>;
}

impl View for &ReadView<'_> {
    fn read<R>(&mut self, key: &[u8], read: impl FnOnce(Option<&Entry>) -> R) -> Option<R> {
        Some(read(self.get(key)))
    }
}

impl View for &mut WriteView<'_> {
    fn read<R>(&mut self, key: &[u8], read: impl FnOnce(Option<&Entry>) -> R) -> Option<R> {
        self.with_slot(key, |slot| read(slot.get()))
    }
}

/// The value a pattern gives for `element`: the element itself for `#`, a string
/// key's value, a hash field's value, or `None` (missing, another type, no `*`).
/// Each key read goes into `lookups` with whether it was found.
fn lookup(
    view: &mut impl View,
    lookups: &mut Vec<(Vec<u8>, bool)>,
    pattern: &[u8],
    element: &[u8],
) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let (key, field) = pattern_key(pattern, element)?;
    let (hit, value) = view
        .read(&key, |entry| {
            let Some(entry) = entry else { return (false, None) };
            let value = match field {
                Some(field) => entry.get_as::<Hash>().ok().and_then(|h| h.get(field)).map(<[u8]>::to_vec),
                None => entry.string().ok().map(<[u8]>::to_vec),
            };
            (true, value)
        })
        .unwrap_or((false, None));
    lookups.push((key, hit));
    value
}

/// Whether a pattern of `request` names keys (a `BY` or `GET` with a `*`, other
/// than `GET #`): then which keys SORT reads depends on the source's elements.
fn names_keys(request: &Request<'_>) -> bool {
    let by = request.by.is_some_and(|p| !request.dont_sort && p.contains(&b'*'));
    by || request.gets.iter().any(|p| *p != b"#" && p.contains(&b'*'))
}

/// Every key `request`'s patterns name for the elements of `source` (for all of
/// them: which ones the `LIMIT` window keeps is known only after sorting).
fn named_keys(request: &Request<'_>, source: &Source) -> Vec<Vec<u8>> {
    let patterns: Vec<&[u8]> =
        request.by.iter().chain(&request.gets).copied().filter(|p| *p != b"#").collect();
    let mut keys = Vec::new();
    for element in source.elements() {
        keys.extend(patterns.iter().filter_map(|p| pattern_key(p, element)).map(|(key, _)| key));
    }
    keys
}

/// One element to sort.
struct Item {
    element: Vec<u8>,
    score: f64,
    /// The `BY` value of an `ALPHA` sort by pattern.
    by: Option<Vec<u8>>,
}

/// The `LIMIT` window as Redis computes it: `(start, end)` inclusive, clamped to
/// `len` first so no arithmetic overflows.
fn window(len: usize, (offset, count): (i64, i64)) -> (i64, i64) {
    let len = len as i64;
    let mut start = offset.max(0).min(len);
    let count = count.max(-1).min(len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    (start, end)
}

/// The source's elements: in its order (a list's, a sorted set's by rank, set's
/// encoding order), `None` for another type.
#[derive(PartialEq)]
enum Source {
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Sorted(Vec<Vec<u8>>),
}

impl Source {
    fn elements(&self) -> &[Vec<u8>] {
        match self {
            Source::List(items) | Source::Set(items) | Source::Sorted(items) => items,
        }
    }
}

fn read_source(entry: Option<&Entry>) -> Result<Source, CommandError> {
    let Some(entry) = entry else { return Ok(Source::List(Vec::new())) };
    if let Ok(list) = entry.get_as::<List>() {
        return Ok(Source::List(list.iter().map(<[u8]>::to_vec).collect()));
    }
    if let Ok(set) = entry.get_as::<Set>() {
        return Ok(Source::Set(set.iter().map(|m| m.to_vec()).collect()));
    }
    let zset = entry.get_as::<ZSet>()?;
    Ok(Source::Sorted(zset.iter().map(|(m, _)| m.to_vec()).collect()))
}

/// The elements SORT returns or stores, in order: each chosen element, or what
/// each `GET` pattern gives for it (`None`: nothing there).
fn evaluate(
    request: &Request<'_>,
    source: Source,
    view: &mut impl View,
    lookups: &mut Vec<(Vec<u8>, bool)>,
) -> Result<Vec<Option<Vec<u8>>>, CommandError> {
    let mut request = request.clone();
    let (is_set, elements) = match source {
        Source::List(items) | Source::Sorted(items) => (false, items),
        Source::Set(items) => (true, items),
    };
    if request.dont_sort && is_set && (request.store.is_some() || request.in_script) {
        // A set's order is not replicable: a stored result, or one a script
        // sees, is sorted ALPHA.
        request.dont_sort = false;
        request.alpha = true;
        request.by = None;
    }
    let (mut start, mut end) = window(elements.len(), request.limit);
    let mut items: Vec<Item> = if request.dont_sort && !is_set {
        // Native order (reversed for DESC), only the window.
        if end < start {
            Vec::new()
        } else {
            let (s, e) = (start as usize, end as usize);
            let picked: Vec<Vec<u8>> = if request.desc {
                elements.into_iter().rev().skip(s).take(e - s + 1).collect()
            } else {
                elements.into_iter().skip(s).take(e - s + 1).collect()
            };
            end -= start;
            start = 0;
            picked.into_iter().map(|element| Item { element, score: 0.0, by: None }).collect()
        }
    } else {
        elements.into_iter().map(|element| Item { element, score: 0.0, by: None }).collect()
    };
    let mut conversion_error = false;
    if !request.dont_sort {
        for item in &mut items {
            let by = match request.by {
                Some(pattern) => match lookup(view, lookups, pattern, &item.element) {
                    Some(value) => value,
                    None => continue,
                },
                None => {
                    if !request.alpha {
                        match sort_number(&item.element) {
                            Some(score) => item.score = score,
                            None => conversion_error = true,
                        }
                    }
                    continue;
                }
            };
            if request.alpha {
                item.by = Some(by);
            } else {
                match sort_number(&by) {
                    Some(score) => item.score = score,
                    None => conversion_error = true,
                }
            }
        }
        let (alpha, by_pattern, desc) = (request.alpha, request.by.is_some(), request.desc);
        let compare = |a: &Item, b: &Item| {
            let order = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.element.cmp(&b.element))
            } else if by_pattern {
                match (&a.by, &b.by) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                }
            } else {
                a.element.cmp(&b.element)
            };
            if desc {
                order.reverse()
            } else {
                order
            }
        };
        if by_pattern && (start != 0 || end != items.len() as i64 - 1) {
            // Redis's partial sort, whose order of equal BY values the reply shows;
            // an empty window needs no order at all.
            if end >= start {
                pqsort(&mut items, start as usize, end as usize, compare);
            }
        } else {
            // glibc's qsort is a stable merge sort: equal BY values keep the order.
            items.sort_by(compare);
        }
    }
    if conversion_error {
        return Err(CommandError::err("One or more scores can't be converted into double"));
    }
    let chosen: &[Item] = if end >= start { &items[start as usize..=end as usize] } else { &[] };
    let mut values = Vec::with_capacity(chosen.len() * request.gets.len().max(1));
    for item in chosen {
        if request.gets.is_empty() {
            values.push(Some(item.element.clone()));
        }
        for pattern in &request.gets {
            values.push(lookup(view, lookups, pattern, &item.element));
        }
    }
    Ok(values)
}

/// How many times SORT reads its source again when the source changed between
/// choosing the keys to lock and locking them, before it locks the whole database.
const ATTEMPTS: usize = 3;

/// What the source held when SORT chose the keys to lock.
enum Expected {
    /// Nothing to check: no pattern names keys, or every shard is locked.
    Anything,
    /// These elements, whose pattern keys are locked.
    Elements(Source),
    /// Not a list, set or sorted set (no pattern key is locked).
    Unsortable,
}

impl Expected {
    /// What the source read in a view says about the keys locked for `self`.
    fn read(source: Result<Source, CommandError>) -> Self {
        source.map_or(Expected::Unsortable, Expected::Elements)
    }
}

/// One try at SORT under one view: `None` if the source is no longer as expected
/// (the keys locked may not be the ones its elements name).
type Tried = Option<(bool, Result<Vec<Option<Vec<u8>>>, CommandError>)>;

/// Reads the source in `view`, checks it against `expected` (when the locked keys
/// came from it), and evaluates the request; `(source found, values)`.
fn attempt(
    request: &Request<'_>,
    key: &[u8],
    expected: &Expected,
    view: &mut impl View,
    lookups: &mut Vec<(Vec<u8>, bool)>,
) -> Tried {
    lookups.clear();
    let (hit, source) = view.read(key, |entry| (entry.is_some(), read_source(entry)))?;
    let source = match (source, expected) {
        (Ok(_), Expected::Unsortable) => return None,
        (Ok(source), Expected::Elements(elements)) if source != *elements => return None,
        (Ok(source), _) => source,
        // An error reply reads no other key: consistent whatever was locked.
        (Err(error), _) => return Some((hit, Err(error))),
    };
    Some((hit, evaluate(request, source, view, lookups)))
}

/// Writes a `STORE` result: a list, or no key for an empty result.
fn store(view: &mut WriteView<'_>, destination: &[u8], stored: &[Vec<u8>], limits: Limits, all: &[&[u8]]) {
    view.with_slot(destination, |slot| {
        if stored.is_empty() {
            if slot.remove().is_some() {
                slot.record(generic::DEL, &[b"DEL", destination]);
            }
        } else {
            let mut result = List::new();
            result.push(End::Right, stored, limits);
            slot.put(Entry::new_collection(destination, std::sync::Arc::new(result), None));
            slot.record(SORTSTORE, all);
        }
    });
}

/// SORT as one atomic multi-key operation. The keys its patterns read are known
/// only from the source's elements, so it reads the source first, derives them,
/// then locks the source, the `STORE` destination and every pattern key at once
/// (their shards in ascending order, as every multi-key command does) and reads
/// the source again under those locks: unchanged, everything it reads and writes
/// is one consistent state that no other client sees half-done; changed, it tries
/// again with the new elements' keys, and after [`ATTEMPTS`] locks every shard of
/// the database. (Holding the transaction gate as `EXEC` does would also stop
/// every other client, but a command cannot take it from inside a batch, and
/// inside `EXEC` or a script it is held already.) Without patterns that name keys
/// it locks just the source and the destination.
fn run(ctx: &mut Context<'_>, args: &mut Args<'_>, readonly: bool) -> CommandResult {
    let all = args.all();
    let mut request = parse(all, readonly)?;
    request.in_script = ctx.session.in_script;
    let key = &all[1][..];
    let limits = list::limits(ctx);
    let effect = as_slices(all);
    let now_ms = ctx.now_ms;
    let db = ctx.db();
    let mut expected = if names_keys(&request) {
        Expected::read(db.read(key, now_ms, read_source))
    } else {
        Expected::Anything
    };
    let mut lookups = Vec::new();
    let mut tries = 0;
    let (hit, values) = loop {
        tries += 1;
        let every = tries > ATTEMPTS;
        if every {
            expected = Expected::Anything;
        }
        let pattern_keys = match &expected {
            Expected::Elements(source) => named_keys(&request, source),
            _ => Vec::new(),
        };
        let names = std::iter::once(key).chain(request.store).chain(pattern_keys.iter().map(Vec::as_slice));
        let tried = match request.store {
            None => {
                let body = |view: &ReadView<'_>| attempt(&request, key, &expected, &mut &*view, &mut lookups);
                if every {
                    db.read_every(now_ms, body)
                } else {
                    db.read_many(names, now_ms, body)
                }
            }
            Some(destination) => {
                let body = |view: &mut WriteView<'_>| {
                    let tried = attempt(&request, key, &expected, &mut &mut *view, &mut lookups);
                    if let Some((_, Ok(values))) = &tried {
                        let stored: Vec<Vec<u8>> =
                            values.iter().map(|v| v.clone().unwrap_or_default()).collect();
                        store(view, destination, &stored, limits, &effect);
                    }
                    tried
                };
                if every {
                    db.write_every(now_ms, body)
                } else {
                    db.write_many(names, now_ms, body)
                }
            }
        };
        match tried {
            Some(done) => break done,
            None => expected = Expected::read(db.read(key, now_ms, read_source)),
        }
    };
    drop(db);
    ctx.count_lookup(key, hit);
    ctx.count_lookups(lookups.iter().map(|(k, hit)| (k.as_slice(), *hit)));
    let values = values?;
    match request.store {
        None => {
            ctx.out.array(values.len());
            for value in &values {
                ctx.out.bulk_or_null(value.as_deref());
            }
        }
        Some(_) => ctx.out.integer(values.len() as i64),
    }
    REPLIED
}

/// ```text
/// SORT key [BY pattern] [LIMIT offset count] [GET pattern …] [ASC|DESC] [ALPHA]
///     [STORE destination]
/// ```
/// The sorted elements (or what the `GET` patterns give for them); with `STORE`,
/// how many were stored.
pub fn sort(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    run(ctx, args, false)
}

/// `SORT_RO`: `SORT` without `STORE` (a syntax error there).
pub fn sort_ro(ctx: &mut Context<'_>, args: &mut Args<'_>) -> CommandResult {
    run(ctx, args, true)
}

#[cfg(test)]
mod tests {
    use super::{pattern_key, window};

    #[test]
    fn windows_clamp_at_the_i64_limits() {
        assert_eq!(window(5, (0, -1)), (0, 4));
        assert_eq!(window(5, (1, 2)), (1, 2));
        assert_eq!(window(5, (i64::MAX, i64::MAX)), (4, 3));
        assert_eq!(window(5, (i64::MIN, i64::MIN)), (0, 4));
        assert_eq!(window(5, (0, i64::MAX)), (0, 4));
        assert_eq!(window(5, (2, 0)), (2, 1));
        assert_eq!(window(0, (0, -1)), (-1, -2));
    }

    #[test]
    fn patterns_substitute_the_first_star() {
        assert_eq!(pattern_key(b"w_*", b"a"), Some((b"w_a".to_vec(), None)));
        assert_eq!(pattern_key(b"h_*->f", b"a"), Some((b"h_a".to_vec(), Some(&b"f"[..]))));
        assert_eq!(pattern_key(b"h_*->", b"a"), Some((b"h_a->".to_vec(), None)));
        assert_eq!(pattern_key(b"x->f*", b"a"), Some((b"x->fa".to_vec(), None)));
        assert_eq!(pattern_key(b"const", b"a"), None);
    }
}
