//! The scripting room: two Lua 5.1 VMs set up as Redis 7.0.15's (see
//! [`sandbox`]) — one for `EVAL` with the script cache keyed by SHA-1, one for
//! the function libraries ([`functions`]) — and the conversions between replies
//! and Lua values ([`convert`]). The commands (`EVAL`, `EVALSHA`, `SCRIPT …`,
//! `FCALL`, `FUNCTION …`) are in `crate::command::scripting` and
//! `crate::command::function`, which run a script with no other client's command
//! in between (the transaction gate, held exclusively).

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod convert;
pub mod format;
pub mod functions;
pub mod luaarg;
pub mod sandbox;
pub mod structlib;

use std::collections::HashMap;

use bytes::Bytes;
use mlua::{Function, Lua};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use std::sync::Mutex;

/// The version `redis.REDIS_VERSION` reports.
pub const REDIS_VERSION: &str = "7.0.15";
/// `redis.REDIS_VERSION_NUM`: `0x00MMmmpp`.
pub const REDIS_VERSION_NUM: i64 = (7 << 16) | 15;

/// The most memory the Lua VM may use (1 GiB): past it an allocation fails and
/// the script gets an error; the server goes on.
pub const VM_MEMORY_LIMIT: usize = 1 << 30;

/// The shebang flags of a script (`#!lua flags=…`).
pub mod script_flags {
    /// No shebang: Redis 6 compatibility mode.
    pub const COMPAT: u8 = 1 << 0;
    /// `no-writes`.
    pub const NO_WRITES: u8 = 1 << 1;
    /// `allow-oom`.
    pub const ALLOW_OOM: u8 = 1 << 2;
    /// `allow-stale`.
    pub const ALLOW_STALE: u8 = 1 << 3;
    /// `no-cluster`.
    pub const NO_CLUSTER: u8 = 1 << 4;
    /// `allow-cross-slot-keys`.
    pub const ALLOW_CROSS_SLOT: u8 = 1 << 5;

    /// Each flag's name, in Redis's order (`FUNCTION LIST` prints them so).
    pub const NAMES: [(&str, u8); 5] = [
        ("no-writes", NO_WRITES),
        ("allow-oom", ALLOW_OOM),
        ("allow-stale", ALLOW_STALE),
        ("no-cluster", NO_CLUSTER),
        ("allow-cross-slot-keys", ALLOW_CROSS_SLOT),
    ];
}

/// A cached script: its body, its flags and its compiled function.
pub struct Script {
    /// The source as sent.
    pub body: Bytes,
    /// [`script_flags`] bits.
    pub flags: u8,
    /// The compiled chunk.
    pub function: Function,
}

/// The VM and the script cache, behind one lock.
pub struct Vm {
    /// The sandboxed VM.
    pub sandbox: sandbox::Sandbox,
    /// Scripts by lower-case SHA-1.
    pub scripts: HashMap<String, Script>,
    /// The bytes of the cached bodies (`used_memory_scripts_eval`).
    pub scripts_bytes: usize,
}

/// The server's scripting state: the `EVAL` VM with its script cache, the
/// functions VM with its libraries, and what other clients may see of the
/// script running now (for `-BUSY`, `SCRIPT KILL`, `FUNCTION KILL|STATS`).
///
/// Lock order: a VM, then [`FunctionSummary`]'s lock, which is a leaf (nothing
/// is locked while it is held), so the AOF rewrite can read the library codes
/// with every shard locked.
pub struct Scripting {
    vm: Mutex<Option<Vm>>,
    functions: Mutex<Option<functions::Libraries>>,
    summary: Mutex<FunctionSummary>,
    run: std::sync::Arc<RunFlags>,
    /// Wakes the connections waiting for the running script to end.
    ended: tokio::sync::Notify,
    /// `(VM bytes, cached script bytes, cached scripts)` after the last use of
    /// the VM, for `INFO` (which a script may call while it holds the VM).
    gauges: [AtomicU64; 3],
}

/// What may be read of the libraries while a function runs: their codes (the
/// AOF rewrite writes them first), the counts `FUNCTION STATS` and `INFO` give,
/// and the functions VM's memory.
#[derive(Default, Clone)]
pub struct FunctionSummary {
    /// Each library's code, as loaded.
    pub codes: Vec<Bytes>,
    /// Loaded libraries.
    pub libraries: usize,
    /// Registered functions.
    pub functions: usize,
    /// The functions VM's bytes.
    pub vm_bytes: u64,
    /// The bytes of the libraries' codes and names (`used_memory_functions`).
    pub code_bytes: u64,
}

/// What `FUNCTION STATS` shows of a running function.
#[derive(Clone, Debug)]
pub struct RunningFunction {
    /// The function's name.
    pub name: String,
    /// The `FCALL` that runs it.
    pub command: Vec<Bytes>,
    /// When it started (Unix ms).
    pub since_ms: u64,
}

/// The running script's state, shared with the VM's count hook.
#[derive(Default)]
pub struct RunFlags {
    /// When the running script started (Unix ms), 0 when none runs.
    running_since: AtomicU64,
    /// The running script has run past `busy-reply-threshold`.
    busy: AtomicBool,
    /// The running script has written (it cannot be killed).
    wrote: AtomicBool,
    /// `SCRIPT KILL` asked the running script to stop.
    kill: AtomicBool,
    /// The running script is a function (`FCALL`), not an `EVAL`.
    function: AtomicBool,
    /// The running function, for `FUNCTION STATS`.
    current: Mutex<Option<RunningFunction>>,
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting {
            vm: Mutex::new(None),
            functions: Mutex::new(None),
            summary: Default::default(),
            run: Default::default(),
            ended: tokio::sync::Notify::new(),
            gauges: Default::default(),
        }
    }
}

/// What `SCRIPT KILL` found.
#[derive(Debug, PartialEq, Eq)]
pub enum KillOutcome {
    /// The script will stop at its next hook.
    Killed,
    /// No script runs.
    NotBusy,
    /// The script has written.
    Unkillable,
    /// `SCRIPT KILL` for a function or `FUNCTION KILL` for an `EVAL`: the
    /// `-BUSY` naming the right command.
    WrongKind(&'static str),
}

/// `-BUSY …` while an `EVAL` runs, as Redis words it.
pub const BUSY_ERR: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

/// `-BUSY …` while a function runs.
pub const BUSY_FUNCTION_ERR: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// The error a killed script ends with.
pub const KILLED_ERR: &str = "ERR Script killed by user with SCRIPT KILL...";

/// How many Lua instructions run between two checks of the clock and the kill
/// flag (Redis's count hook).
pub const HOOK_EVERY: u32 = 100_000;

impl RunFlags {
    /// Marks a script as started (the caller holds the transaction gate).
    pub fn begin(&self, now_ms: u64) {
        self.busy.store(false, Ordering::SeqCst);
        self.wrote.store(false, Ordering::SeqCst);
        self.kill.store(false, Ordering::SeqCst);
        self.running_since.store(now_ms.max(1), Ordering::SeqCst);
    }

    /// Marks the running script as ended.
    pub fn end(&self) {
        self.running_since.store(0, Ordering::SeqCst);
        self.busy.store(false, Ordering::SeqCst);
        self.kill.store(false, Ordering::SeqCst);
        if self.function.swap(false, Ordering::SeqCst) {
            *crate::sync::lock(&self.current) = None;
        }
    }

    /// Whether the running script is a function.
    pub fn is_function(&self) -> bool {
        self.function.load(Ordering::SeqCst)
    }

    /// Whether a script runs now.
    pub fn is_running(&self) -> bool {
        self.running_since.load(Ordering::SeqCst) != 0
    }

    /// Whether the running script is past `busy-reply-threshold` (other clients
    /// get `-BUSY`).
    pub fn is_busy(&self) -> bool {
        self.is_running() && self.busy.load(Ordering::SeqCst)
    }

    /// The count hook's check: marks the script busy past `threshold_ms`, and
    /// whether it must stop (`SCRIPT KILL`).
    pub fn check_hook(&self, threshold_ms: u64) -> bool {
        let since = self.running_since.load(Ordering::SeqCst);
        if since != 0 && threshold_ms > 0 && crate::clock::unix_millis().saturating_sub(since) >= threshold_ms
        {
            self.busy.store(true, Ordering::SeqCst);
        }
        self.kill.load(Ordering::SeqCst)
    }

    /// `SCRIPT KILL` (`function` false) or `FUNCTION KILL`, checked in Redis's
    /// order.
    pub fn kill(&self, function: bool) -> KillOutcome {
        if !self.is_running() {
            return KillOutcome::NotBusy;
        }
        if self.wrote.load(Ordering::SeqCst) {
            return KillOutcome::Unkillable;
        }
        match (function, self.is_function()) {
            (false, true) => return KillOutcome::WrongKind(BUSY_FUNCTION_ERR),
            (true, false) => return KillOutcome::WrongKind(BUSY_ERR),
            _ => {}
        }
        self.kill.store(true, Ordering::SeqCst);
        KillOutcome::Killed
    }
}

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripting")
    }
}

impl Scripting {
    /// Runs `body` with the VM (created on first use).
    pub fn with_vm<R>(&self, body: impl FnOnce(&mut Vm) -> R) -> R {
        let mut guard = crate::sync::lock(&self.vm);
        if guard.is_none() {
            let sandbox = sandbox::create(VM_MEMORY_LIMIT).expect("the Lua sandbox builds");
            *guard = Some(Vm { sandbox, scripts: HashMap::new(), scripts_bytes: 0 });
        }
        let vm = guard.as_mut().expect("created above");
        let result = body(vm);
        self.gauges[0].store(vm.sandbox.lua.used_memory() as u64, Ordering::Relaxed);
        self.gauges[1].store(vm.scripts_bytes as u64, Ordering::Relaxed);
        self.gauges[2].store(vm.scripts.len() as u64, Ordering::Relaxed);
        result
    }

    /// The running script's flags (for the count hook).
    pub fn run_flags(&self) -> std::sync::Arc<RunFlags> {
        self.run.clone()
    }

    /// Marks a script as started (the caller holds the transaction gate); a
    /// function is named for `FUNCTION STATS`.
    pub fn begin_run(&self, now_ms: u64, function: Option<(String, Vec<Bytes>)>) {
        if let Some((name, command)) = function {
            *crate::sync::lock(&self.run.current) = Some(RunningFunction { name, command, since_ms: now_ms });
            self.run.function.store(true, Ordering::SeqCst);
        }
        self.run.begin(now_ms)
    }

    /// The function running now, if one is.
    pub fn running_function(&self) -> Option<RunningFunction> {
        if !self.run.is_function() {
            return None;
        }
        crate::sync::lock(&self.run.current).clone()
    }

    /// The `-BUSY` error for the script running now.
    pub fn busy_error(&self) -> &'static str {
        if self.run.is_function() {
            BUSY_FUNCTION_ERR
        } else {
            BUSY_ERR
        }
    }

    /// Runs `body` with the functions VM and its libraries (created on first
    /// use).
    pub fn with_functions<R>(&self, body: impl FnOnce(&mut functions::Libraries) -> R) -> R {
        let mut guard = crate::sync::lock(&self.functions);
        let libraries = guard.get_or_insert_with(|| {
            functions::Libraries::new(VM_MEMORY_LIMIT).expect("the Lua sandbox builds")
        });
        let result = body(libraries);
        let vm_bytes = libraries.sandbox.lua.used_memory() as u64;
        crate::sync::lock(&self.summary).vm_bytes = vm_bytes;
        result
    }

    /// Records the libraries as they are now and, with the record still locked,
    /// runs `emit` (which logs the change): a rewrite reading
    /// [`Scripting::function_codes`] sees the libraries either before the change
    /// with its record after the cut, or after it with the record before. Call it
    /// inside [`Scripting::with_functions`] after a change.
    pub fn publish_functions(&self, catalog: &functions::Catalog, emit: impl FnOnce()) {
        let mut summary = crate::sync::lock(&self.summary);
        summary.codes = catalog.libraries().map(|l| l.code.clone()).collect();
        summary.libraries = catalog.library_count();
        summary.functions = catalog.function_count();
        summary.code_bytes =
            catalog.libraries().map(|l| (l.code.len() + l.name.len() + l.functions.len() * 64) as u64).sum();
        emit();
    }

    /// The libraries' codes, for the AOF rewrite (which writes them first).
    pub fn function_codes(&self) -> Vec<Bytes> {
        crate::sync::lock(&self.summary).codes.clone()
    }

    /// The libraries' counts and memory, for `FUNCTION STATS` and `INFO`.
    pub fn function_summary(&self) -> FunctionSummary {
        let s = crate::sync::lock(&self.summary);
        FunctionSummary {
            codes: Vec::new(),
            libraries: s.libraries,
            functions: s.functions,
            vm_bytes: s.vm_bytes,
            code_bytes: s.code_bytes,
        }
    }

    /// Marks the running script as ended and wakes who waits for that.
    pub fn end_run(&self) {
        self.run.end();
        self.ended.notify_waiters();
    }

    /// Waits until the running script ends, or `at_most` (so a waiter can see
    /// it turn busy and answer `-BUSY`); at once if none runs.
    pub async fn wait_for_end(&self, at_most: std::time::Duration) {
        let notified = self.ended.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !self.is_running() {
            return;
        }
        let _ = tokio::time::timeout(at_most, notified).await;
    }

    /// Whether a script runs now.
    pub fn is_running(&self) -> bool {
        self.run.is_running()
    }

    /// Whether the running script is past `busy-reply-threshold`.
    pub fn is_busy(&self) -> bool {
        self.run.is_busy()
    }

    /// The running script wrote: from now on it cannot be killed.
    pub fn mark_wrote(&self) {
        self.run.wrote.store(true, Ordering::SeqCst);
    }

    /// `SCRIPT KILL` (`function` false) or `FUNCTION KILL`.
    pub fn kill(&self, function: bool) -> KillOutcome {
        self.run.kill(function)
    }

    /// `SCRIPT FLUSH`: drops the cache and the VM (a fresh one is made on next use).
    pub fn flush(&self) {
        let old = crate::sync::lock(&self.vm).take();
        drop(old);
        for gauge in &self.gauges {
            gauge.store(0, Ordering::Relaxed);
        }
    }

    /// `(VM bytes, cached script bytes, cached scripts)`, for `INFO`.
    pub fn memory(&self) -> (u64, u64, u64) {
        let [vm, scripts, count] = &self.gauges;
        (vm.load(Ordering::Relaxed), scripts.load(Ordering::Relaxed), count.load(Ordering::Relaxed))
    }
}

impl Vm {
    /// Compiles and caches `body` unless cached: its SHA-1, or the error reply
    /// (`Error compiling script (new function): …`, a bad shebang).
    pub fn load(&mut self, body: &Bytes) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = parse_shebang(body)?;
        let lua: &Lua = &self.sandbox.lua;
        let function = lua
            .load(&body[shebang_len..])
            .set_name("@user_script")
            .set_mode(mlua::ChunkMode::Text)
            .into_function()
            .map_err(|e| format!("ERR Error compiling script (new function): {}", lua_message(&e)))?;
        self.scripts_bytes += body.len() + 40;
        self.scripts.insert(sha.clone(), Script { body: body.clone(), flags, function });
        Ok(sha)
    }
}

/// The message of a Lua error, without mlua's decorations.
pub fn lua_message(error: &mlua::Error) -> String {
    match error {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(message) => message.clone(),
        mlua::Error::MemoryError(message) => message.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_message(cause),
        other => other.to_string(),
    }
}

/// Reads a `#!lua flags=…` first line: the flags and the shebang's length (the
/// newline stays, so line numbers are kept).
pub fn parse_shebang(body: &[u8]) -> Result<(u8, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((script_flags::COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid script shebang".into());
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let parts: Vec<&str> = line.split_whitespace().collect();
    let Some(engine) = parts.first() else {
        return Err("ERR Invalid engine in script shebang".into());
    };
    if *engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {part}"));
        };
        for flag in list.split(',') {
            if flag.is_empty() && list.is_empty() {
                continue;
            }
            match script_flags::NAMES.iter().find(|(name, _)| *name == flag) {
                Some((_, bit)) => flags |= bit,
                None => return Err(format!("ERR Unexpected flag in script shebang: {flag}")),
            }
        }
    }
    Ok((flags, end))
}

/// The lower-case hex SHA-1 of `bytes`.
pub fn sha1_hex(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

/// Wraps a Rust function returning `(ok, value-or-message)` so that a failure
/// raises the message as a Lua error with the caller's position, as a C
/// library's `luaL_error` does.
pub fn checked(lua: &Lua, raw: Function) -> mlua::Result<Function> {
    let marker = lua.create_table()?;
    let adapt: Function = lua
        .load("local f, RAISE = ... return function(...) local ok, v = f(...) if not ok then return RAISE, v end return v end")
        .set_name("=redis_api")
        .call((raw, marker.clone()))?;
    trampoline(lua, adapt, marker)
}

/// Like [`checked`], for a function returning `(ok, values…)`: on success all
/// the values are returned (`cmsgpack.unpack`, `struct.unpack`); when `ok` is
/// `false` the message is raised with the caller's position, when it is `nil`
/// without it.
pub fn checked_multi(lua: &Lua, raw: Function) -> mlua::Result<Function> {
    let marker = lua.create_table()?;
    let adapt: Function = lua
        .load(
            "local f, RAISE = ... \
             local function finish(ok, ...) \
               if ok == nil then return RAISE, (...), true elseif not ok then return RAISE, (...) end \
               return ... end \
             return function(...) return finish(f(...)) end",
        )
        .set_name("=redis_api")
        .call((raw, marker.clone()))?;
    trampoline(lua, adapt, marker)
}

/// A C function calling `f`: when `f` returns `marker, e` it raises `e` (a
/// string gets the caller's position first, as `luaL_error` adds it, unless
/// `f` returned `marker, e, true`). Being C,
/// it keeps the script's frame on the stack for the error handler even when the
/// script tail-calls it.
pub fn trampoline(lua: &Lua, f: Function, marker: mlua::Table) -> mlua::Result<Function> {
    use mlua::ffi;
    unsafe extern "C-unwind" fn call(state: *mut ffi::lua_State) -> std::os::raw::c_int {
        let nargs = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
        let n = ffi::lua_gettop(state);
        if n >= 2 && ffi::lua_rawequal(state, 1, ffi::lua_upvalueindex(2)) != 0 {
            // A third value `true` asks for the message without a position.
            let bare = n >= 3 && ffi::lua_toboolean(state, 3) != 0;
            if ffi::lua_type(state, 2) == ffi::LUA_TSTRING && !bare {
                ffi::luaL_where(state, 1);
                ffi::lua_pushvalue(state, 2);
                ffi::lua_concat(state, 2);
            } else {
                ffi::lua_pushvalue(state, 2);
            }
            ffi::lua_error(state)
        } else {
            n
        }
    }
    // SAFETY: the closure takes its two upvalues from the stack exec_raw set up;
    // `call` keeps nothing with a destructor across the Lua calls that may raise.
    unsafe { lua.exec_raw::<Function>((f, marker), |state| ffi::lua_pushcclosure(state, call, 2)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs_parse_as_redis() {
        assert_eq!(parse_shebang(b"return 1"), Ok((script_flags::COMPAT, 0)));
        assert_eq!(
            parse_shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1").map(|r| r.0),
            Ok(script_flags::NO_WRITES | script_flags::ALLOW_OOM)
        );
        assert_eq!(parse_shebang(b"#!lua\nreturn 1"), Ok((0, 5)));
        assert_eq!(
            parse_shebang(b"#!lua flags=bad\n").unwrap_err(),
            "ERR Unexpected flag in script shebang: bad"
        );
        assert_eq!(parse_shebang(b"#!lua foo=bad\n").unwrap_err(), "ERR Unknown lua shebang option: foo=bad");
        assert_eq!(
            parse_shebang(b"#!python\n").unwrap_err(),
            "ERR Unexpected engine in script shebang: #!python"
        );
        assert_eq!(parse_shebang(b"#!lua").unwrap_err(), "ERR Invalid script shebang");
    }

    #[test]
    fn sha1_is_lower_hex() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }
}
