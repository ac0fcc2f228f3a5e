//! Redis 7 functions: libraries of named Lua functions, loaded with
//! `FUNCTION LOAD` and called with `FCALL`, as Redis 7.0.15 keeps them.
//!
//! Libraries live in a VM of their own (a second [`Sandbox`]), so `SCRIPT FLUSH`
//! leaves them. A library's code runs once when it is loaded, with the globals
//! showing only a `redis` that can `register_function` (and log); what it
//! registers is checked, and the library is linked only when everything passed —
//! a failed load or restore leaves the libraries as they were. Function names are
//! matched without regard to case, library names exactly, as Redis's dictionaries
//! do. [`payload`] is `FUNCTION DUMP`'s serialization.

pub mod payload;

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use mlua::{Function, Table, Value};

use super::sandbox::Sandbox;

/// How long a library's code may run when loaded from a client (`FUNCTION LOAD
/// timeout` past it); AOF replay has no limit.
pub const LOAD_TIMEOUT_MS: u64 = 500;

/// The one engine, as `FUNCTION LIST` names it.
pub const ENGINE: &str = "LUA";

/// One registered function.
pub struct FunctionInfo {
    /// Its name as registered.
    pub name: String,
    /// `description`, if given.
    pub description: Option<Bytes>,
    /// [`super::script_flags`] bits (`flags`).
    pub flags: u8,
    /// The callback, in the functions VM.
    pub callback: Function,
}

/// A loaded library.
pub struct Library {
    /// Its name (`#!lua name=…`).
    pub name: String,
    /// The code as loaded, shebang included.
    pub code: Bytes,
    /// Its functions, in registration order.
    pub functions: Vec<FunctionInfo>,
}

/// What `FCALL` needs of a function: the callback, its flags and its name.
pub struct Callable {
    /// The callback.
    pub callback: Function,
    /// [`super::script_flags`] bits.
    pub flags: u8,
    /// Its name as registered (error replies and `FUNCTION STATS` use it).
    pub name: String,
}

/// The set of loaded libraries and the index of their functions.
#[derive(Default)]
pub struct Catalog {
    /// Libraries by name.
    libraries: BTreeMap<String, Library>,
    /// Lower-case function name → its library's name.
    functions: HashMap<String, String>,
}

/// The restore policy of `FUNCTION RESTORE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestorePolicy {
    /// Drop every library first.
    Flush,
    /// Add the libraries; any collision fails the restore (the default).
    Append,
    /// Add the libraries, replacing libraries of the same name.
    Replace,
}

/// The functions VM and its libraries.
pub struct Libraries {
    /// The VM.
    pub sandbox: Sandbox,
    /// What is loaded.
    pub catalog: Catalog,
}

impl Catalog {
    /// The libraries, by name.
    pub fn libraries(&self) -> impl Iterator<Item = &Library> {
        self.libraries.values()
    }

    /// How many functions are registered.
    pub fn function_count(&self) -> usize {
        self.libraries.values().map(|l| l.functions.len()).sum()
    }

    /// How many libraries are loaded.
    pub fn library_count(&self) -> usize {
        self.libraries.len()
    }

    /// The registered function named `name` (any case).
    fn lookup(&self, name: &[u8]) -> Option<&FunctionInfo> {
        let key = String::from_utf8_lossy(name).to_ascii_lowercase();
        let library = self.libraries.get(self.functions.get(&key)?)?;
        library.functions.iter().find(|f| f.name.eq_ignore_ascii_case(&key))
    }

    /// The function named `name` (any case), to call.
    pub fn find(&self, name: &[u8]) -> Option<Callable> {
        let f = self.lookup(name)?;
        Some(Callable { callback: f.callback.clone(), flags: f.flags, name: f.name.clone() })
    }

    /// The flags of the function named `name` (any case).
    pub fn flags_of(&self, name: &[u8]) -> Option<u8> {
        self.lookup(name).map(|f| f.flags)
    }

    /// Removes the library `name`.
    pub fn delete(&mut self, name: &str) -> Option<Library> {
        let library = self.libraries.remove(name)?;
        self.unindex(&library);
        Some(library)
    }

    fn unindex(&mut self, library: &Library) {
        for f in &library.functions {
            let key = f.name.to_ascii_lowercase();
            if self.functions.get(&key) == Some(&library.name) {
                self.functions.remove(&key);
            }
        }
    }

    /// The first function of `library` whose name another library has.
    fn collision<'a>(&self, library: &'a Library) -> Option<&'a str> {
        library
            .functions
            .iter()
            .find(|f| self.functions.contains_key(&f.name.to_ascii_lowercase()))
            .map(|f| f.name.as_str())
    }

    fn link(&mut self, library: Library) {
        for f in &library.functions {
            // Two names differing only in case in one library: the first wins
            // the lookup, as in Redis's case-insensitive dictionary.
            self.functions.entry(f.name.to_ascii_lowercase()).or_insert_with(|| library.name.clone());
        }
        self.libraries.insert(library.name.clone(), library);
    }

    /// Links `library`, replacing the library of the same name when `replace`;
    /// on an error nothing changed.
    fn add(&mut self, library: Library, replace: bool) -> Result<(), String> {
        let old = match self.libraries.contains_key(&library.name) {
            true if !replace => return Err(format!("Library '{}' already exists", library.name)),
            true => self.delete(&library.name),
            false => None,
        };
        if let Some(name) = self.collision(&library) {
            let error = format!("Function {name} already exists");
            if let Some(old) = old {
                self.link(old);
            }
            return Err(error);
        }
        self.link(library);
        Ok(())
    }

    /// Joins `other` into this catalog as `FUNCTION RESTORE APPEND|REPLACE` does;
    /// on an error nothing changed.
    fn join(&mut self, other: Catalog, replace: bool) -> Result<(), String> {
        let mut replaced = Vec::new();
        for name in other.libraries.keys() {
            if self.libraries.contains_key(name) {
                if !replace {
                    return Err(format!("Library {name} already exists"));
                }
                replaced.extend(self.delete(name));
            }
        }
        let collision = other.libraries.values().find_map(|l| self.collision(l).map(str::to_string));
        if let Some(name) = collision {
            for old in replaced {
                self.link(old);
            }
            return Err(format!("Function {name} already exists"));
        }
        for (_, library) in other.libraries {
            self.link(library);
        }
        Ok(())
    }
}

/// A library's first line, read as Redis's `functionExtractLibMetaData` does:
/// the engine and the name.
pub fn metadata(code: &[u8]) -> Result<(String, String), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let parts = match crate::protocol::inline::split_args(&code[..end]) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = String::from_utf8_lossy(parts[0].get(2..).unwrap_or_default()).into_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(String::from_utf8_lossy(&part[5..]).into_owned());
            continue;
        }
        return Err(format!("Invalid metadata value given: {}", String::from_utf8_lossy(part)));
    }
    let name = name.ok_or("Library name was not given")?;
    Ok((engine, name))
}

/// Whether `name` is a valid library or function name: letters, digits, `_`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Libraries {
    /// A fresh functions VM with no library.
    pub fn new(memory_limit: usize) -> mlua::Result<Self> {
        Ok(Libraries { sandbox: super::sandbox::create(memory_limit)?, catalog: Catalog::default() })
    }

    /// `FUNCTION LOAD [REPLACE] code`: the library's name, or the error's text
    /// (without `ERR `). `timeout_ms` 0 is no limit.
    pub fn load(&mut self, code: &Bytes, replace: bool, timeout_ms: u64) -> Result<String, String> {
        let library = self.compile(code, timeout_ms)?;
        let name = library.name.clone();
        self.catalog.add(library, replace)?;
        Ok(name)
    }

    /// `FUNCTION RESTORE payload [policy]`; on an error nothing changed.
    pub fn restore(&mut self, data: &[u8], policy: RestorePolicy) -> Result<(), String> {
        let codes = payload::decode(data)?;
        let mut restored = Catalog::default();
        for code in codes {
            let library = self.compile(&Bytes::from(code), 0)?;
            restored.add(library, false)?;
        }
        match policy {
            RestorePolicy::Flush => {
                self.catalog = restored;
                Ok(())
            }
            RestorePolicy::Append => self.catalog.join(restored, false),
            RestorePolicy::Replace => self.catalog.join(restored, true),
        }
    }

    /// `FUNCTION DUMP`'s payload.
    pub fn dump(&self) -> Vec<u8> {
        payload::encode(self.catalog.libraries().map(|l| &l.code[..]))
    }

    /// Compiles `code` and runs it to collect what it registers.
    fn compile(&mut self, code: &Bytes, timeout_ms: u64) -> Result<Library, String> {
        let (engine, name) = metadata(code)?;
        if !valid_name(&name) {
            return Err(
                "Library names can only contain letters, numbers, or underscores(_) and must be at least \
                        one character long"
                    .into(),
            );
        }
        if !engine.eq_ignore_ascii_case(ENGINE) {
            return Err(format!("Engine '{engine}' not found"));
        }
        let body = &code[code.iter().position(|&b| b == b'\n').unwrap_or(code.len())..];
        let lua = &self.sandbox.lua;
        let chunk = lua
            .load(body)
            .set_name("@user_function")
            .set_mode(mlua::ChunkMode::Text)
            .into_function()
            .map_err(|e| format!("Error compiling function: {}", super::lua_message(&e)))?;
        let functions = self
            .run_registration(chunk, timeout_ms)
            .map_err(|e| format!("Error registering functions: {e}"))?;
        if functions.is_empty() {
            return Err("No functions registered".into());
        }
        Ok(Library { name, code: code.clone(), functions })
    }

    /// Runs a library's chunk with the loading globals and a fresh registration
    /// list; the functions it registered, or the error's message.
    fn run_registration(&self, chunk: Function, timeout_ms: u64) -> Result<Vec<FunctionInfo>, String> {
        let sandbox = &self.sandbox;
        let fail = |e: mlua::Error| super::lua_message(&e);
        let registered = sandbox.lua.create_table().map_err(fail)?;
        registered.raw_set("names", sandbox.lua.create_table().map_err(fail)?).map_err(fail)?;
        sandbox.slot.raw_set("registered", registered.clone()).map_err(fail)?;
        sandbox.set_loading.call::<()>(true).map_err(fail)?;
        let timed_out = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        if timeout_ms > 0 {
            let started = std::time::Instant::now();
            let flag = timed_out.clone();
            sandbox.lua.set_hook(
                mlua::HookTriggers::new().every_nth_instruction(super::HOOK_EVERY),
                move |_, _| {
                    if started.elapsed().as_millis() as u64 > timeout_ms {
                        flag.store(true, std::sync::atomic::Ordering::Relaxed);
                        return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
                    }
                    Ok(mlua::VmState::Continue)
                },
            );
        }
        let result =
            sandbox.limited(sandbox.memory_limit, || sandbox.load_runner.call::<(bool, Value)>(chunk));
        sandbox.lua.remove_hook();
        let _ = sandbox.set_loading.call::<()>(false);
        let _ = sandbox.slot.raw_set("registered", Value::Nil);
        if timed_out.load(std::sync::atomic::Ordering::Relaxed) {
            return Err("ERR FUNCTION LOAD timeout".into());
        }
        let (ok, error) = result.map_err(fail)?;
        if !ok {
            return Err(load_error_message(&error));
        }
        collect(&registered).map_err(fail)
    }
}

/// A load error's message, as Redis's `luaExtractErrorInformation` reads it: a
/// string gets `ERR ` before it, a table gives its `err` field.
fn load_error_message(error: &Value) -> String {
    match error {
        Value::String(s) => format!("ERR {}", s.to_string_lossy()),
        Value::Integer(n) => format!("ERR {n}"),
        Value::Number(n) => format!("ERR {}", super::format::format_g(*n, 14)),
        Value::Table(t) => match t.raw_get::<Value>("err") {
            Ok(Value::String(s)) => s.to_string_lossy(),
            _ => "(null)".into(),
        },
        // Redis reads nothing from another value.
        _ => "(null)".into(),
    }
}

/// The functions `register_function` collected: `{name, callback, description
/// or false, flags}` each.
fn collect(registered: &Table) -> mlua::Result<Vec<FunctionInfo>> {
    let mut functions = Vec::new();
    for entry in registered.clone().sequence_values::<Table>() {
        let entry = entry?;
        let name: String = entry.raw_get(1)?;
        let callback: Function = entry.raw_get(2)?;
        let description = match entry.raw_get::<Value>(3)? {
            Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
            _ => None,
        };
        let flags: u8 = entry.raw_get(4)?;
        functions.push(FunctionInfo { name, description, flags, callback });
    }
    Ok(functions)
}

#[cfg(test)]
mod tests;
