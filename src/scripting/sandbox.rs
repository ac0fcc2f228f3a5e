//! The Lua VM as Redis 7.0.15 sets it up: only `string`, `table`, `math`,
//! `cjson`, `bit`, `cmsgpack`, `struct` and the `redis` object besides the allowed base functions; the
//! globals and every library table read-only (`Attempt to modify a readonly
//! table`), an unknown global an error (`Script attempted to access nonexistent
//! global variable 'y'`); no `loadstring` of bytecode; the error handler that
//! turns any error into a table carrying the script's line.
//!
//! Most of the `redis` object is written in Lua here, over a few Rust primitives
//! (the command call, the error table, SHA-1, the log); the per-run primitives
//! live in a `slot` table the runner fills while a script runs.

use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value};

/// The chunk that builds the `redis` object, the error handler and the
/// protection. Called with the primitives; returns the runner, the hidden
/// globals and the slot.
const PRELUDE: &str = r#"
local slot, err_table, sha1, log, version, version_num, random, randomseed, wrap, flag_bits = ...
local RAISE = {}
local dbg = debug
local G = _G
local type, tostring, tonumber, error, select, rawget, rawset, setmetatable, xpcall, next =
      type, tostring, tonumber, error, select, rawget, rawset, setmetatable, xpcall, next
local floor, ceil = math.floor, math.ceil

local function trunc(n) n = tonumber(n) or 0 if n < 0 then return ceil(n) end return floor(n) end
local function outside(what)
  if not slot.running then return err_table(what .. ' can only be called inside a script invocation') end
end
-- A function of the redis object runs behind a C trampoline (no Lua frame of
-- ours between the script and the error), which raises `e` when it returns
-- `RAISE, e`.
local function api(f) return wrap(f, RAISE) end

-- A command's arguments reach Rust as they are; past 7000 (Lua 5.1 lets a C
-- function see at most 8000 stack slots) they go packed in a table.
local function invoke(...)
  local n = select('#', ...)
  if n > 7000 then return slot.call_packed(slot.resp, n, {...}) end
  return slot.call(slot.resp, ...)
end
local redis = {}
function redis.call(...)
  local e = outside('redis.call/pcall') if e then return RAISE, e end
  local r, failed = invoke(...)
  if failed then return RAISE, r end
  return r
end
function redis.pcall(...)
  local e = outside('redis.call/pcall') if e then return RAISE, e end
  return (invoke(...))
end
function redis.sha1hex(...)
  if select('#', ...) ~= 1 then return RAISE, err_table('wrong number of arguments') end
  local s = ...
  if type(s) == 'number' then s = tostring(s) elseif type(s) ~= 'string' then s = '' end
  return sha1(s)
end
function redis.error_reply(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then return err_table('wrong number or type of arguments') end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  return err_table(e)
end
function redis.status_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return err_table('wrong number or type of arguments') end
  return {ok = s}
end
function redis.log(...)
  local n = select('#', ...)
  if n < 2 then return RAISE, err_table('redis.log() requires two arguments or more.') end
  local level = ...
  if tonumber(level) == nil then return RAISE, err_table('First argument must be a number (log level).') end
  level = trunc(level)
  if level < 0 or level > 3 then return RAISE, err_table('Invalid debug level.') end
  local parts = {}
  for i = 2, n do
    local v = select(i, ...)
    if type(v) == 'string' or type(v) == 'number' then parts[#parts + 1] = tostring(v) end
  end
  log(level, table.concat(parts, ' '))
end
function redis.setresp(...)
  local e = outside('redis.setresp') if e then return RAISE, e end
  if select('#', ...) ~= 1 then return RAISE, err_table('redis.setresp() requires one argument.') end
  local resp = trunc((...))
  if resp ~= 2 and resp ~= 3 then return RAISE, err_table('RESP version must be 2 or 3.') end
  slot.resp = resp
end
function redis.set_repl(...)
  local e = outside('redis.set_repl') if e then return RAISE, e end
  if select('#', ...) ~= 1 then return RAISE, err_table('redis.set_repl() requires two arguments.') end
  local flags = trunc((...))
  if flags < 0 or flags > 3 then
    return RAISE, err_table('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
  end
end
function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end
function redis.acl_check_cmd(...)
  local e = outside('redis.acl_check_cmd') if e then return RAISE, e end
  local r, failed = slot.acl(...)
  if failed then return RAISE, r end
  return r
end
for name, f in pairs(redis) do redis[name] = api(f) end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = version, version_num
G.redis = redis

math.random = api(function(...)
  if not slot.running then return RAISE, 'math.random can only be called inside a script invocation' end
  return random(...)
end)
math.randomseed = api(function(...)
  if not slot.running then return RAISE, 'math.randomseed can only be called inside a script invocation' end
  return randomseed(...)
end)

-- pcall gives a script the message of an error table raised by redis.call.
local real_pcall = pcall
-- A script stopped by SCRIPT KILL cannot catch its end: the error goes on up
-- through pcall and xpcall.
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if slot.killed then error(e, 0) end
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then e = m end
  end
  return false, e
end
G.pcall = function(f, ...) return pcall_result(real_pcall(f, ...)) end
local function xpcall_result(ok, ...)
  if not ok and slot.killed then error((...), 0) end
  return ok, ...
end
G.xpcall = function(f, h) return xpcall_result(xpcall(f, h)) end

local real_loadstring = loadstring
G.loadstring = function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then return nil, 'binary chunks are not allowed' end
  return real_loadstring(s, name)
end
G.load = function(f, name)
  local first = true
  local function reader()
    local piece = f()
    if first and type(piece) == 'string' and piece ~= '' then
      first = false
      if piece:byte(1) == 27 then error('binary chunks are not allowed', 0) end
    end
    return piece
  end
  return load(reader, name)
end

local function handler(err)
  if slot.killed then err = {err = 'ERR Script killed by user with SCRIPT KILL...'} end
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source == '=redis_api') do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

-- Everything allowed moves to a hidden table; the globals and the libraries
-- become read-only views of it.
local allowed = {
  'string', 'cjson', 'bit', 'cmsgpack', 'struct', 'math', 'table', 'redis',
  'xpcall', 'tostring', 'getfenv', 'setmetatable', 'next', 'assert', 'tonumber', 'rawequal',
  'collectgarbage', 'getmetatable', 'rawset', 'pcall', 'coroutine', 'type', 'select', 'unpack',
  'gcinfo', 'pairs', 'rawget', 'loadstring', 'ipairs', '_VERSION', 'setfenv', 'load', 'error',
  'newproxy',
}
local protected = setmetatable({}, {__mode = 'k'})
local function readonly() error('Attempt to modify a readonly table', 2) end
local function view(real)
  local v = {}
  setmetatable(v, {__index = real, __newindex = readonly, __metatable = false})
  protected[v] = true
  return v
end
local hidden = {}
for _, name in ipairs(allowed) do hidden[name] = rawget(G, name) end
for _, lib in ipairs({'string', 'cjson', 'bit', 'cmsgpack', 'struct', 'math', 'table', 'redis', 'coroutine'}) do
  hidden[lib] = view(hidden[lib])
end
getmetatable('').__index = hidden.string
hidden.rawset = function(t, k, v)
  if protected[t] or t == G then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end
hidden._G = G
local real_setmetatable = setmetatable
hidden.setmetatable = function(t, mt)
  if protected[t] or t == G then error('Attempt to modify a readonly table', 2) end
  return real_setmetatable(t, mt)
end
local names = {}
for k in next, G do names[#names + 1] = k end
for _, k in ipairs(names) do rawset(G, k, nil) end
local env = hidden
local globals_meta = {
  __index = function(_, k)
    local v = env[k]
    if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
    return v
  end,
  __newindex = readonly,
}
-- getmetatable(_G) answers a read-only view of the metatable.
globals_meta.__metatable = view(globals_meta)
setmetatable(G, globals_meta)

-- Functions (FUNCTION LOAD): while a library's code runs, the globals show only
-- a `redis` with register_function, log, the LOG_* levels and the version (any
-- other name is a nonexistent global); register_function fills slot.registered.
local lower, find, bor = string.lower, string.find, bit.bor
local function is_text(v) return type(v) == 'string' or type(v) == 'number' end
local function register_function(...)
  local reg = slot.registered
  if not reg then return RAISE, err_table('redis.register_function can only be called on FUNCTION LOAD command') end
  local n = select('#', ...)
  if n < 1 or n > 2 then return RAISE, err_table('wrong number of arguments to redis.register_function') end
  local name, callback, description, flags
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      return RAISE, err_table('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in next, t do
      if not is_text(k) then return RAISE, err_table('named argument key given to redis.register_function is not a string') end
      local key = lower(tostring(k))
      if key == 'function_name' then
        if not is_text(v) then return RAISE, err_table('function_name argument given to redis.register_function must be a string') end
        name = tostring(v)
      elseif key == 'description' then
        if not is_text(v) then return RAISE, err_table('description argument given to redis.register_function must be a string') end
        description = tostring(v)
      elseif key == 'callback' then
        if type(v) ~= 'function' then return RAISE, err_table('callback argument given to redis.register_function must be a function') end
        callback = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then
          return RAISE, err_table('flags argument to redis.register_function must be a table representing function flags')
        end
        flags = 0
        local j = 1
        while true do
          local f = v[j]
          if f == nil then break end
          local b = is_text(f) and flag_bits[lower(tostring(f))]
          if not b then return RAISE, err_table('unknown flag given') end
          flags = bor(flags, b)
          j = j + 1
        end
      else
        return RAISE, err_table('unknown argument given to redis.register_function')
      end
    end
    if not name then return RAISE, err_table('redis.register_function must get a function name argument') end
    if not callback then return RAISE, err_table('redis.register_function must get a callback argument') end
  else
    local a, b = ...
    if not is_text(a) then return RAISE, err_table('first argument to redis.register_function must be a string') end
    if type(b) ~= 'function' then return RAISE, err_table('second argument to redis.register_function must be a function') end
    name, callback = tostring(a), b
  end
  if not find(name, '^[A-Za-z0-9_]+$') then
    return RAISE, err_table('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  if reg.names[name] then return RAISE, err_table('Function already exists in the library') end
  reg.names[name] = true
  reg[#reg + 1] = {name, callback, description or false, flags or 0}
end
local function strict(real)
  local v = {}
  setmetatable(v, {
    __index = function(_, k)
      local x = real[k]
      if x == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
      return x
    end,
    __newindex = readonly, __metatable = false,
  })
  protected[v] = true
  return v
end
local library_redis = {
  register_function = api(register_function), log = redis.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = version, REDIS_VERSION_NUM = version_num,
}
local library_env = {redis = strict(library_redis)}
local function set_loading(on) if on then env = library_env else env = hidden end end

local function run(f) return xpcall(f, handler) end
local function run_function(f, keys, args) return xpcall(function() return f(keys, args) end, handler) end
local function run_load(f) return real_pcall(f) end
return run, hidden, run_function, run_load, set_loading
"#;

/// A VM set up as Redis's: the runner (`xpcall` with the error handler), the
/// hidden globals (`KEYS`/`ARGV` are set there) and the per-run slot.
pub struct Sandbox {
    /// The VM.
    pub lua: Lua,
    /// Calls a script function under the error handler: `(true, value)` or
    /// `(false, error table)`.
    pub runner: Function,
    /// The real globals behind the read-only view.
    pub globals: Table,
    /// Per-run state: `running`, `call`, `acl`, `resp`; `registered` while a
    /// library loads.
    pub slot: Table,
    /// Calls a library's function with its `(keys, args)` under the error
    /// handler, answering as [`Sandbox::runner`] does.
    pub function_runner: Function,
    /// Runs a library's code (`FUNCTION LOAD`) with no handler: `true`, or `false`
    /// and the raw error value.
    pub load_runner: Function,
    /// Switches the globals to the library-loading view (`true`) and back.
    pub set_loading: Function,
    /// The VM's memory limit while Lua code runs.
    pub memory_limit: usize,
}

impl Sandbox {
    /// Runs `body` (which runs Lua code) with the VM capped at `limit` bytes,
    /// the cap lifted again after: an allocation past it fails the script with
    /// an error. Rust callbacks lift it while they run ([`Sandbox::unlimited`]).
    pub fn limited<R>(&self, limit: usize, body: impl FnOnce() -> R) -> R {
        let _ = self.lua.set_memory_limit(limit);
        let result = body();
        let _ = self.lua.set_memory_limit(0);
        result
    }
}

/// Runs `body` (a Rust callback's work) without the VM's cap, restoring it
/// after: what the callback adds is bounded by the command it runs.
pub fn unlimited<R>(lua: &Lua, body: impl FnOnce() -> R) -> R {
    let limit = lua.set_memory_limit(0).unwrap_or(0);
    let result = body();
    let _ = lua.set_memory_limit(limit);
    result
}

/// Redis's `redisLrand48` state, which `math.random` draws from (seeded as
/// Redis seeds it at start).
struct Rand48(std::cell::Cell<u64>);

impl Rand48 {
    const A: u64 = 0x5DEECE66D;

    fn next(&self) -> i32 {
        let x = (self.0.get().wrapping_mul(Self::A).wrapping_add(0xB)) & ((1 << 48) - 1);
        self.0.set(x);
        (x >> 17) as i32
    }

    fn seed(&self, seed: i32) {
        self.0.set((((seed as u32) as u64) << 16) | 0x330E);
    }
}

/// Builds a fresh VM with the sandbox, the libraries and the `redis` object.
pub fn create(memory_limit: usize) -> mlua::Result<Sandbox> {
    // SAFETY: the debug library is needed by the error handler only; the
    // prelude keeps it in a local and removes the global before any script runs.
    let lua = unsafe {
        Lua::unsafe_new_with(
            StdLib::STRING | StdLib::TABLE | StdLib::MATH | StdLib::DEBUG,
            LuaOptions::default(),
        )
    };
    let globals = lua.globals();
    globals.set("cjson", super::cjson::create(&lua)?)?;
    globals.set("bit", super::bit::create(&lua)?)?;
    globals.set("cmsgpack", super::cmsgpack::create(&lua)?)?;
    globals.set("struct", super::structlib::create(&lua)?)?;
    let slot = lua.create_table()?;
    let err_table =
        lua.create_function(|lua, line: mlua::String| super::convert::error_table(lua, &line.as_bytes()))?;
    let sha1 = lua.create_function(|_, s: mlua::String| Ok(super::sha1_hex(&s.as_bytes())))?;
    let log = lua.create_function(|_, (level, msg): (i64, String)| {
        match level {
            0 => log::debug!("{msg}"),
            1 => log::info!("{msg}"),
            2 => log::info!("{msg}"),
            _ => log::warn!("{msg}"),
        }
        Ok(())
    })?;
    let rand = std::sync::Arc::new(std::sync::Mutex::new(Rand48(std::cell::Cell::new(0x1234ABCD330E))));
    let r = rand.clone();
    let random = lua.create_function(move |_, args: mlua::Variadic<Value>| {
        let value = crate::sync::lock(&r).next();
        let r = (value % i32::MAX) as f64 / i32::MAX as f64;
        let int = |v: &Value| match v {
            Value::Number(n) => Ok(*n as i64),
            Value::Integer(n) => Ok(*n),
            Value::String(s) => {
                s.to_str().ok().and_then(|s| s.trim().parse::<f64>().ok()).map(|n| n as i64).ok_or(())
            }
            _ => Err(()),
        };
        match args.len() {
            0 => Ok(r),
            1 => {
                let u = int(&args[0])
                    .map_err(|_| mlua::Error::runtime("bad argument #1 to 'random' (number expected)"))?;
                if u < 1 {
                    return Err(mlua::Error::runtime("bad argument #1 to 'random' (interval is empty)"));
                }
                Ok((r * u as f64).floor() + 1.0)
            }
            2 => {
                let l = int(&args[0])
                    .map_err(|_| mlua::Error::runtime("bad argument #1 to 'random' (number expected)"))?;
                let u = int(&args[1])
                    .map_err(|_| mlua::Error::runtime("bad argument #2 to 'random' (number expected)"))?;
                if l > u {
                    return Err(mlua::Error::runtime("bad argument #2 to 'random' (interval is empty)"));
                }
                Ok((r * (u - l + 1) as f64).floor() + l as f64)
            }
            _ => Err(mlua::Error::runtime("wrong number of arguments")),
        }
    })?;
    let r = rand;
    let randomseed = lua.create_function(move |_, seed: f64| {
        crate::sync::lock(&r).seed(seed as i64 as i32);
        Ok(())
    })?;
    let wrap =
        lua.create_function(|lua, (f, marker): (Function, Table)| super::trampoline(lua, f, marker))?;
    let prelude = lua.load(PRELUDE).set_name("=redis_api");
    let flag_bits = lua.create_table()?;
    for (name, bit) in super::script_flags::NAMES {
        flag_bits.raw_set(name, bit)?;
    }
    let (runner, hidden, function_runner, load_runner, set_loading): (
        Function,
        Table,
        Function,
        Function,
        Function,
    ) = prelude.call((
        slot.clone(),
        err_table,
        sha1,
        log,
        super::REDIS_VERSION,
        super::REDIS_VERSION_NUM,
        random,
        randomseed,
        wrap,
        flag_bits,
    ))?;
    // The limit applies while Lua code runs ([`Sandbox::limited`]): with one set,
    // mlua protects every call it makes (a closure each), so the Rust side of a
    // run works without it.
    let _ = memory_limit;
    // What building the sandbox left behind goes now: a fresh VM is about 80 KB,
    // not 125 (Redis's suite holds a flushed VM under 100 KB).
    lua.gc_collect()?;
    lua.gc_collect()?;
    Ok(Sandbox {
        lua,
        runner,
        globals: hidden,
        slot,
        function_runner,
        load_runner,
        set_loading,
        memory_limit,
    })
}
