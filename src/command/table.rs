//! The command table: every family's specs gathered, each command and subcommand
//! given a small id (its statistics are kept by id), and a case-insensitive lookup
//! that neither allocates nor hashes.

use std::sync::OnceLock;

use super::spec::CommandSpec;
use super::{
    admin, expire, function, geo, hash, info, keys, list, object, pubsub, scripting, server, set, sort,
    stream, string, transaction, zset,
};

/// Every family's specs, in the order `COMMAND` lists them.
pub static FAMILIES: &[&[CommandSpec]] = &[
    string::SPECS,
    hash::SPECS,
    list::SPECS,
    list::blocking::SPECS,
    set::SPECS,
    zset::SPECS,
    zset::BLOCKING_SPECS,
    geo::SPECS,
    sort::SPECS,
    stream::SPECS,
    keys::SPECS,
    expire::SPECS,
    server::SPECS,
    info::SPECS,
    object::SPECS,
    admin::SPECS,
    transaction::SPECS,
    pubsub::SPECS,
    scripting::SPECS,
    function::SPECS,
];

/// A command or subcommand of the table.
#[derive(Debug)]
pub struct Command {
    /// Its index in the table (its statistics' slot).
    pub id: usize,
    /// Its spec.
    pub spec: &'static CommandSpec,
    /// Its container, for a subcommand.
    pub parent: Option<&'static CommandSpec>,
    /// `name`, or `container|name` for a subcommand (as `INFO commandstats` and
    /// arity errors write it).
    pub full_name: String,
}

/// Longest command name we look up; longer ones are unknown.
const MAX_NAME: usize = 32;

/// The gathered table.
pub struct CommandTable {
    commands: Vec<Command>,
    /// Top-level command ids by name length and first letter.
    buckets: Vec<Vec<usize>>,
    /// For each command id, the ids of its subcommands.
    subcommands: Vec<Vec<usize>>,
}

fn bucket(len: usize, first: u8) -> usize {
    len * 32 + (first.to_ascii_lowercase() & 31) as usize
}

impl CommandTable {
    fn build(families: &[&'static [CommandSpec]]) -> CommandTable {
        let mut table = CommandTable {
            commands: Vec::new(),
            buckets: vec![Vec::new(); (MAX_NAME + 1) * 32],
            subcommands: Vec::new(),
        };
        for spec in families.iter().flat_map(|family| family.iter()) {
            assert!(spec.name.len() <= MAX_NAME && !spec.name.is_empty(), "command name {:?}", spec.name);
            assert!(table.lookup(spec.name.as_bytes()).is_none(), "command {} declared twice", spec.name);
            let id = table.push(spec, None, spec.name.to_string());
            table.buckets[bucket(spec.name.len(), spec.name.as_bytes()[0])].push(id);
            for sub in spec.subcommands {
                let sub_id = table.push(sub, Some(spec), format!("{}|{}", spec.name, sub.name));
                table.subcommands[id].push(sub_id);
            }
        }
        table
    }

    fn push(
        &mut self,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        full_name: String,
    ) -> usize {
        let id = self.commands.len();
        self.commands.push(Command { id, spec, parent, full_name });
        self.subcommands.push(Vec::new());
        id
    }

    /// The top-level command called `name` (any case).
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&Command> {
        let (&first, _) = name.split_first()?;
        if name.len() > MAX_NAME {
            return None;
        }
        self.buckets[bucket(name.len(), first)]
            .iter()
            .map(|&id| &self.commands[id])
            .find(|c| c.spec.name.as_bytes().eq_ignore_ascii_case(name))
    }

    /// The subcommand `name` (any case) of `parent`.
    pub fn subcommand(&self, parent: &Command, name: &[u8]) -> Option<&Command> {
        self.subcommands[parent.id]
            .iter()
            .map(|&id| &self.commands[id])
            .find(|c| c.spec.name.as_bytes().eq_ignore_ascii_case(name))
    }

    /// The subcommands of `parent`, in declaration order.
    pub fn subcommands_of(&self, parent: &Command) -> impl Iterator<Item = &Command> {
        self.subcommands[parent.id].iter().map(|&id| &self.commands[id])
    }

    /// The command with id `id`.
    pub fn get(&self, id: usize) -> Option<&Command> {
        self.commands.get(id)
    }

    /// Every top-level command, in table order.
    pub fn top_level(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter().filter(|c| c.parent.is_none())
    }

    /// Every command and subcommand, by id.
    pub fn all(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter()
    }

    /// How many commands and subcommands there are (the size of a statistics table).
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether the table is empty (it never is).
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
}

/// The server's command table, built on first use.
pub fn table() -> &'static CommandTable {
    static TABLE: OnceLock<CommandTable> = OnceLock::new();
    TABLE.get_or_init(|| CommandTable::build(FAMILIES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case_and_finds_subcommands() {
        let table = table();
        let get = table.lookup(b"GeT").expect("GET");
        assert_eq!((get.spec.name, get.full_name.as_str()), ("get", "get"));
        assert!(table.lookup(b"nosuchcommand").is_none());
        assert!(table.lookup(b"").is_none());
        assert!(table.lookup(&[b'a'; 40]).is_none());
        let config = table.lookup(b"config").expect("CONFIG");
        let sub = table.subcommand(config, b"get").expect("CONFIG GET");
        assert_eq!(sub.full_name, "config|get");
        assert_eq!(table.get(sub.id).map(|c| c.id), Some(sub.id));
        assert!(table.subcommand(config, b"frobnicate").is_none());
    }

    #[test]
    fn ids_are_dense_and_names_unique() {
        let table = table();
        for (index, command) in table.all().enumerate() {
            assert_eq!(command.id, index);
            assert!(
                command.spec.name.chars().all(|c| !c.is_ascii_uppercase()),
                "{} is lower case",
                command.spec.name
            );
        }
        let mut names: Vec<&str> = table.all().map(|c| c.full_name.as_str()).collect();
        let total = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), total);
    }

    #[test]
    fn every_container_has_a_help_and_every_write_has_keys_or_a_reason() {
        let table = table();
        for command in table.top_level() {
            if !command.spec.subcommands.is_empty() {
                assert!(table.subcommand(command, b"help").is_some(), "{} HELP", command.spec.name);
            }
        }
        // Writes without key specs change whole databases, or the function
        // libraries.
        let keyless: Vec<&str> = table
            .all()
            .filter(|c| c.spec.is_write() && c.spec.keys.is_empty())
            .map(|c| c.full_name.as_str())
            .collect();
        assert_eq!(
            keyless,
            [
                "flushdb",
                "flushall",
                "swapdb",
                "function|load",
                "function|delete",
                "function|flush",
                "function|restore"
            ]
        );
    }
}
