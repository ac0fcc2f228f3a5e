//! What a command is, as Redis 7 declares it: name, arity, flags, key specs, and
//! subcommands. Each family declares its specs beside its handlers (`SPECS` in
//! `string.rs`, `keys.rs` …) and [`super::table`] gathers them.
//!
//! Key specs say where the keys are, in Redis 7's terms: a *begin search* (a fixed
//! index, or the argument after a keyword such as `STREAMS`) and a *find keys* rule
//! (a range with a step, or a count read from an argument, as `SINTERCARD numkeys`
//! and `EVAL … numkeys` have). `COMMAND INFO` and `COMMAND GETKEYS` answer from them,
//! and so will everything that needs a command's keys before running it (scripts
//! locking their shards, blocking commands).
//!
//! Everything `COMMAND INFO` shows is declared here as Redis 7.0 declares it in its
//! `src/commands/*.json`: the command flags, the ACL categories (beyond those the
//! flags imply), the command tips (`nondeterministic_output`, the cluster routing
//! policies) and each key spec's flags and notes; `tests/command_info.rs` compares
//! every command's entry with a real `redis-server`'s.

use bytes::Bytes;

use super::{flags, Handler};

/// A command's flags: a bit set of [`flags`].
pub type Flags = u64;

/// Where the search for a spec's keys begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument (the name is argument 0).
    Index(usize),
    /// After the first argument equal to `keyword` (case-insensitive), searching
    /// from `start_from` (negative: from the end, backwards).
    Keyword {
        /// The keyword (`STREAMS`).
        keyword: &'static str,
        /// Where to start: positive from the start, negative from the end.
        start_from: isize,
    },
    /// Not known from the arguments' positions (`SORT`'s `BY`/`GET` and `STORE`
    /// keys); such a spec finds no key.
    Unknown,
}

/// How the keys are found once the search began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// `last` keys after the first (0: one key; -1: up to the last argument, -2: up
    /// to the one before …), every `step`-th; with `last == -1`, `limit` > 0 keeps
    /// only 1/limit of the remaining arguments (`MSET`-like pairs use the step).
    Range {
        /// The last key, relative to the first (negative: from the end).
        last: isize,
        /// Distance between keys.
        step: usize,
        /// See above; 0 for none.
        limit: usize,
    },
    /// The number of keys is the integer at `count_at` (relative to the begin
    /// index); the keys start at `first` (relative too), every `step`-th.
    KeyNum {
        /// Where the count is, relative to the begin index.
        count_at: usize,
        /// Where the first key is, relative to the begin index.
        first: usize,
        /// Distance between keys.
        step: usize,
    },
    /// Not known (see [`BeginSearch::Unknown`]).
    Unknown,
}

/// Redis's key-spec flags, in the order `COMMAND INFO` lists them: one of `RO`
/// (read only), `RW` (read and write), `OW` (overwrite) or `RM` (remove), then
/// what happens to the value (`access`, `update`, `insert`, `delete`), then
/// `not_key`, `incomplete` and `variable_flags` (the flags depend on the
/// arguments: see [`CommandSpec::key_flags`]).
pub const KEY_SPEC_FLAGS: [&str; 11] = [
    "RO",
    "RW",
    "OW",
    "RM",
    "access",
    "update",
    "insert",
    "delete",
    "not_key",
    "incomplete",
    "variable_flags",
];

/// One key spec: where some of a command's keys are, and how it uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// Redis's key-spec flags as `COMMAND INFO` lists them, a subset of
    /// [`KEY_SPEC_FLAGS`] in its order (`RW`, `access`, `update` …).
    pub flags: &'static [&'static str],
    /// Redis's note on the spec (`COMMAND INFO` shows it first), if it has one.
    pub notes: Option<&'static str>,
    /// Where the search begins.
    pub begin: BeginSearch,
    /// How keys are found from there.
    pub find: FindKeys,
}

impl KeySpec {
    /// One key at `index`.
    pub const fn one(index: usize, flags: &'static [&'static str]) -> KeySpec {
        KeySpec {
            flags,
            notes: None,
            begin: BeginSearch::Index(index),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        }
    }

    /// Every argument from `index` to the end, each `step`-th.
    pub const fn all_from(index: usize, step: usize, flags: &'static [&'static str]) -> KeySpec {
        KeySpec {
            flags,
            notes: None,
            begin: BeginSearch::Index(index),
            find: FindKeys::Range { last: -1, step, limit: 0 },
        }
    }

    /// The same, with Redis's note.
    pub const fn notes(self, notes: &'static str) -> KeySpec {
        KeySpec { notes: Some(notes), ..self }
    }

    /// Whether the spec has flag `flag` (one of [`KEY_SPEC_FLAGS`]).
    pub fn has(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }
}

/// Computes the flags of a `variable_flags` key spec's keys from the full request
/// (the name at 0), as Redis's `getkeys_proc` does for `COMMAND GETKEYSANDFLAGS`
/// (`SET` with `GET` reads the key: `RW access update`; without, `OW update`).
pub type KeyFlagsFn = fn(&[Bytes]) -> &'static [&'static str];

/// Finds the keys of a command whose key specs cannot (`SORT`'s `STORE`, as Redis's
/// `getkeys_proc`): from the full request (the name at 0), each key's position with
/// the index of the key spec it belongs to.
pub type KeyFinder = fn(&[&[u8]]) -> Vec<(usize, usize)>;

/// One entry of the command table.
#[derive(Debug)]
pub struct CommandSpec {
    /// Lower-case name (a subcommand's own name, without its container's).
    pub name: &'static str,
    /// Redis's arity: `n` exactly, `-n` at least `n` arguments, the name included (a
    /// subcommand counts its container too: `CONFIG GET` has arity -3).
    pub arity: i32,
    /// Bitwise-or of [`flags`].
    pub flags: Flags,
    /// The ACL categories Redis puts it in beyond those its flags imply (`string`,
    /// `keyspace`, `dangerous` …).
    pub categories: &'static [&'static str],
    /// Redis's command tips, in its order (`nondeterministic_output`,
    /// `request_policy:all_shards`, `response_policy:agg_sum` …).
    pub tips: &'static [&'static str],
    /// Where its keys are.
    pub keys: &'static [KeySpec],
    /// For a command with a `variable_flags` key spec: the flags its keys really
    /// have, given the request (`COMMAND GETKEYSANDFLAGS` reports them).
    pub key_flags: Option<KeyFlagsFn>,
    /// For a command whose keys its specs cannot find: how to find them.
    pub key_finder: Option<KeyFinder>,
    /// The implementation (unused for a container of subcommands).
    pub handler: Handler,
    /// Subcommands (`CONFIG GET` …): dispatched by the second argument.
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A command with no keys and no subcommands; add them with the builders.
    pub const fn new(name: &'static str, arity: i32, flags: Flags, handler: Handler) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags,
            categories: &[],
            tips: &[],
            keys: &[],
            key_flags: None,
            key_finder: None,
            handler,
            subcommands: &[],
        }
    }

    /// The same, with key specs.
    pub const fn keys(self, keys: &'static [KeySpec]) -> CommandSpec {
        CommandSpec { keys, ..self }
    }

    /// The same, in extra ACL categories.
    pub const fn categories(self, categories: &'static [&'static str]) -> CommandSpec {
        CommandSpec { categories, ..self }
    }

    /// The same, with Redis's command tips.
    pub const fn tips(self, tips: &'static [&'static str]) -> CommandSpec {
        CommandSpec { tips, ..self }
    }

    /// The same, with the flags of its `variable_flags` key specs computed from
    /// the request.
    pub const fn key_flags(self, key_flags: KeyFlagsFn) -> CommandSpec {
        CommandSpec { key_flags: Some(key_flags), ..self }
    }

    /// The same, with its keys found by `finder` instead of its specs.
    pub const fn key_finder(self, finder: KeyFinder) -> CommandSpec {
        CommandSpec { key_finder: Some(finder), ..self }
    }

    /// The flags of the keys that `spec` (one of this command's key specs) finds in
    /// `request` (the full request, the name at 0): the spec's own, or for a
    /// `variable_flags` spec what [`CommandSpec::key_flags`] computes.
    pub fn flags_of_keys(&self, spec: &KeySpec, request: &[Bytes]) -> &'static [&'static str] {
        match self.key_flags {
            Some(compute) if spec.has("variable_flags") => compute(request),
            _ => spec.flags,
        }
    }

    /// The same, as a container of `subcommands`.
    pub const fn subcommands(self, subcommands: &'static [CommandSpec]) -> CommandSpec {
        CommandSpec { subcommands, ..self }
    }

    /// Whether `argc` arguments (the name included) satisfy the arity.
    pub fn accepts(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Whether the command has flag `flag`.
    #[inline]
    pub fn has(&self, flag: Flags) -> bool {
        self.flags & flag != 0
    }

    /// Whether the command changes the dataset.
    #[inline]
    pub fn is_write(&self) -> bool {
        self.has(flags::WRITE)
    }

    /// The flags `COMMAND INFO` shows: the declared ones, plus `movablekeys` when
    /// the keys cannot be told from the legacy first/last/step triple.
    pub fn reported_flags(&self) -> Flags {
        let (_, movable) = self.legacy_range();
        if movable {
            self.flags | flags::MOVABLE_KEYS
        } else {
            self.flags
        }
    }

    /// The legacy `(first, last, step)` of `COMMAND INFO`, derived from the key
    /// specs as Redis's `populateCommandLegacyRangeSpec` does, and whether some keys
    /// are outside it (`movablekeys`).
    pub fn legacy_range(&self) -> ((i64, i64, i64), bool) {
        let range_of = |spec: &KeySpec| match (spec.begin, spec.find) {
            (BeginSearch::Index(index), FindKeys::Range { last, step, .. }) => Some((index, last, step)),
            _ => None,
        };
        if let [only] = self.keys {
            if let Some((index, last, step)) = range_of(only) {
                let last = if last >= 0 { index as i64 + last as i64 } else { last as i64 };
                return ((index as i64, last, step as i64), false);
            }
        }
        let (mut first, mut last_abs, mut prev_last) = (i64::MAX, 0i64, 0i64);
        let mut movable = false;
        for spec in self.keys {
            let Some((index, last, step)) = range_of(spec) else {
                movable = true;
                continue;
            };
            if step != 1 || (prev_last != 0 && prev_last != index as i64 - 1) {
                movable = true;
                continue;
            }
            first = first.min(index as i64);
            let absolute = if last >= 0 { last as i64 + index as i64 } else { last as i64 };
            // Redis compares as unsigned, so a negative (to-the-end) last wins.
            last_abs = if (absolute as u64) > (last_abs as u64) { absolute } else { last_abs };
            prev_last = last_abs;
        }
        if first == i64::MAX {
            return ((0, 0, 0), !self.keys.is_empty() || movable);
        }
        ((first, last_abs, 1), movable)
    }

    /// The positions of the keys in `args` (the full request, the name at 0),
    /// following the key specs as Redis's `getKeysUsingKeySpecs` does; `None` when
    /// the arguments do not fit them (a count that is not a number, keys past the
    /// end).
    pub fn key_positions(&self, args: &[impl AsRef<[u8]>]) -> Option<Vec<usize>> {
        Some(self.keys_with_specs(args)?.into_iter().map(|(position, _)| position).collect())
    }

    /// [`CommandSpec::key_positions`], each with the key spec that found it (for
    /// `COMMAND GETKEYSANDFLAGS`).
    pub fn keys_with_specs(&self, args: &[impl AsRef<[u8]>]) -> Option<FoundKeys> {
        let argc = args.len();
        if let Some(finder) = self.key_finder {
            let request: Vec<&[u8]> = args.iter().map(AsRef::as_ref).collect();
            return Some(finder(&request).into_iter().map(|(at, spec)| (at, &self.keys[spec])).collect());
        }
        let mut positions = Vec::new();
        // `not_key` specs (shard channels) are not keys to `COMMAND GETKEYS`, as
        // Redis's default key search skips them.
        for spec in self.keys.iter().filter(|spec| !spec.has("not_key")) {
            let first = match spec.begin {
                BeginSearch::Index(index) => index,
                BeginSearch::Keyword { keyword, start_from } => {
                    let found = if start_from > 0 {
                        (start_from as usize..argc)
                            .find(|&i| args[i].as_ref().eq_ignore_ascii_case(keyword.as_bytes()))
                    } else {
                        let start = argc as isize + start_from;
                        (1..=start.max(0) as usize)
                            .rev()
                            .find(|&i| i < argc && args[i].as_ref().eq_ignore_ascii_case(keyword.as_bytes()))
                    };
                    match found {
                        Some(i) => i + 1,
                        None => continue,
                    }
                }
                BeginSearch::Unknown => continue,
            };
            let (first, last, step) = match spec.find {
                FindKeys::Range { last, step, limit } => {
                    let last = if last >= 0 {
                        first as isize + last
                    } else if limit == 0 {
                        argc as isize + last
                    } else {
                        first as isize + ((argc as isize - first as isize) / limit as isize + last)
                    };
                    (first, last, step)
                }
                FindKeys::KeyNum { count_at, first: key_offset, step } => {
                    let count_arg = args.get(first + count_at)?;
                    let count = crate::number::parse_i64(count_arg.as_ref()).filter(|&n| n >= 0)?;
                    let keys_start = first + key_offset;
                    (keys_start, keys_start as isize + count as isize - 1, step)
                }
                FindKeys::Unknown => continue,
            };
            // As in Redis, a count of zero is no valid spec either (`last < first`);
            // `COMMAND GETKEYS` then answers by the command's `no_mandatory_keys`.
            if last >= argc as isize || last < first as isize || first >= argc {
                return None;
            }
            positions.extend((first..=last as usize).step_by(step.max(1)).map(|position| (position, spec)));
        }
        Some(positions)
    }
}

/// The keys a request names: each position with the key spec that found it.
pub type FoundKeys = Vec<(usize, &'static KeySpec)>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{CommandResult, Context};

    fn nothing(_: &mut Context<'_>, _: &mut crate::command::Args<'_>) -> CommandResult {
        Ok(crate::command::Outcome::Reply)
    }

    fn words(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    const RW: &[&str] = &["RW"];

    #[test]
    fn ranges_find_single_keys_all_keys_and_pairs() {
        const ONE: &[KeySpec] = &[KeySpec::one(1, RW)];
        const ALL: &[KeySpec] = &[KeySpec::all_from(1, 1, RW)];
        const PAIRS: &[KeySpec] = &[KeySpec::all_from(1, 2, RW)];
        const TWO: &[KeySpec] = &[KeySpec::one(1, RW), KeySpec::one(2, RW)];
        let get = CommandSpec::new("get", 2, 0, nothing).keys(ONE);
        assert_eq!(get.key_positions(&words("get k")), Some(vec![1]));
        assert_eq!(get.legacy_range(), ((1, 1, 1), false));
        let del = CommandSpec::new("del", -2, 0, nothing).keys(ALL);
        assert_eq!(del.key_positions(&words("del a b c")), Some(vec![1, 2, 3]));
        assert_eq!(del.legacy_range(), ((1, -1, 1), false));
        let mset = CommandSpec::new("mset", -3, 0, nothing).keys(PAIRS);
        assert_eq!(mset.key_positions(&words("mset a 1 b 2")), Some(vec![1, 3]));
        assert_eq!(mset.legacy_range(), ((1, -1, 2), false));
        let rename = CommandSpec::new("rename", 3, 0, nothing).keys(TWO);
        assert_eq!(rename.key_positions(&words("rename a b")), Some(vec![1, 2]));
        assert_eq!(rename.legacy_range(), ((1, 2, 1), false));
    }

    #[test]
    fn a_key_count_argument_gives_movable_keys() {
        // SINTERCARD numkeys key [key ...] [LIMIT limit]
        let sintercard = CommandSpec::new("sintercard", -3, 0, nothing).keys(&[KeySpec {
            flags: &["RO", "access"],
            notes: None,
            begin: BeginSearch::Index(1),
            find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
        }]);
        assert_eq!(sintercard.key_positions(&words("sintercard 2 a b LIMIT 5")), Some(vec![2, 3]));
        assert_eq!(sintercard.key_positions(&words("sintercard 3 a b")), None, "past the end");
        assert_eq!(sintercard.key_positions(&words("sintercard x a")), None, "not a number");
        assert_eq!(sintercard.key_positions(&words("sintercard -1 a")), None);
        assert_eq!(sintercard.legacy_range(), ((0, 0, 0), true));
        assert!(sintercard.reported_flags() & flags::MOVABLE_KEYS != 0);
        // EVAL script numkeys key [key ...] arg [arg ...]
        let eval = CommandSpec::new("eval", -3, 0, nothing).keys(&[KeySpec {
            flags: &["RW", "access", "update"],
            notes: None,
            begin: BeginSearch::Index(2),
            find: FindKeys::KeyNum { count_at: 0, first: 1, step: 1 },
        }]);
        assert_eq!(eval.key_positions(&words("eval s 2 k1 k2 a1")), Some(vec![3, 4]));
        assert_eq!(eval.key_positions(&words("eval s 0 a1")), None, "no keys is no valid spec, as in Redis");
    }

    #[test]
    fn a_keyword_begins_the_search() {
        // XREAD [COUNT c] [BLOCK ms] STREAMS key [key ...] id [id ...]
        let xread = CommandSpec::new("xread", -4, 0, nothing).keys(&[KeySpec {
            flags: &["RO", "access"],
            notes: None,
            begin: BeginSearch::Keyword { keyword: "STREAMS", start_from: 1 },
            find: FindKeys::Range { last: -1, step: 1, limit: 2 },
        }]);
        assert_eq!(xread.key_positions(&words("xread COUNT 2 streams a b 0 0")), Some(vec![4, 5]));
        assert_eq!(xread.key_positions(&words("xread count 1 STREAMS s 0")), Some(vec![4]));
        assert_eq!(xread.key_positions(&words("xread count 1 block 0")), Some(vec![]), "no keyword: no keys");
        assert!(xread.legacy_range().1);
    }

    #[test]
    fn every_key_spec_uses_redis_flag_names_in_redis_order() {
        for command in crate::command::table().all() {
            let name = &command.full_name;
            for spec in command.spec.keys {
                let positions: Vec<usize> = spec
                    .flags
                    .iter()
                    .map(|flag| {
                        KEY_SPEC_FLAGS
                            .iter()
                            .position(|known| known == flag)
                            .unwrap_or_else(|| panic!("{name}: unknown key-spec flag {flag:?}"))
                    })
                    .collect();
                assert!(positions.windows(2).all(|w| w[0] < w[1]), "{name}: {:?} out of order", spec.flags);
                let access = spec.flags.iter().filter(|f| matches!(**f, "RO" | "RW" | "OW" | "RM")).count();
                // A `not_key` spec (shard channels) names no access, as in Redis.
                let wanted = usize::from(!spec.has("not_key"));
                assert_eq!(access, wanted, "{name}: one of RO, RW, OW, RM in {:?}", spec.flags);
            }
            let variable = command.spec.keys.iter().any(|spec| spec.has("variable_flags"));
            assert_eq!(variable, command.spec.key_flags.is_some(), "{name}: variable_flags needs key_flags");
        }
    }

    #[test]
    fn variable_key_flags_come_from_the_request() {
        fn reads_with_get(request: &[Bytes]) -> &'static [&'static str] {
            if request.iter().any(|a| a.eq_ignore_ascii_case(b"get")) {
                &["RW", "access", "update"]
            } else {
                &["OW", "update"]
            }
        }
        const SPEC: KeySpec = KeySpec::one(1, &["RW", "access", "update", "variable_flags"]);
        let set = CommandSpec::new("set", -3, 0, nothing).keys(&[SPEC]).key_flags(reads_with_get);
        let request =
            |line: &str| -> Vec<Bytes> { line.split(' ').map(|w| Bytes::from(w.to_string())).collect() };
        assert_eq!(set.flags_of_keys(&SPEC, &request("set k v")), ["OW", "update"]);
        assert_eq!(set.flags_of_keys(&SPEC, &request("set k v GET")), ["RW", "access", "update"]);
        const FIXED: &[KeySpec] = &[KeySpec::one(1, RW)];
        let fixed = CommandSpec::new("get", 2, 0, nothing).keys(FIXED);
        assert_eq!(fixed.flags_of_keys(&fixed.keys[0], &request("get k")), RW);
    }
}
