//! Argument checks for the Lua libraries written in Rust, with the messages of
//! Lua 5.1's `luaL_check*` family (`bad argument #2 to 'pack' (number expected,
//! got no value)`), so `cmsgpack` and `struct` fail as the C libraries Redis
//! bundles do.

use mlua::{Lua, MultiValue, Value};

/// The most values a C function may leave on Lua 5.1's stack
/// (`LUAI_MAXCSTACK`): past it `luaL_checkstack` raises `stack overflow`.
pub const MAX_C_STACK: usize = 8000;

/// A library function's failure: the message to raise, and whether the
/// caller's position goes first (`luaL_error`'s errors) or not (errors the Lua
/// core raises inside a C function, such as `table index is nil`).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The message.
    pub message: String,
    /// Whether `user_script:N: ` goes before it.
    pub positioned: bool,
}

impl Failure {
    /// A failure raised without the caller's position.
    pub fn bare(message: impl Into<String>) -> Self {
        Failure { message: message.into(), positioned: false }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure { message, positioned: true }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::from(message.to_string())
    }
}

impl From<mlua::Error> for Failure {
    fn from(e: mlua::Error) -> Self {
        Failure::from(e.to_string())
    }
}

/// The arguments of one call, with the name the errors give the function.
pub struct Args<'a> {
    /// The values, first argument first.
    pub values: &'a MultiValue,
    /// The function's name in `bad argument` messages.
    pub function: &'static str,
}

impl<'a> Args<'a> {
    /// The argument at 1-based `index`, `None` when not given.
    pub fn get(&self, index: usize) -> Option<&'a Value> {
        self.values.get(index - 1)
    }

    /// `luaL_argerror`: `bad argument #index to 'name' (message)`.
    pub fn error(&self, index: usize, message: &str) -> Failure {
        format!("bad argument #{index} to '{}' ({message})", self.function).into()
    }

    fn type_error(&self, index: usize, expected: &str) -> Failure {
        self.error(index, &format!("{expected} expected, got {}", type_name(self.get(index))))
    }

    /// `luaL_checklstring`: a string, or a number converted as Lua does.
    pub fn string(&self, lua: &Lua, index: usize) -> Result<Vec<u8>, Failure> {
        let value = self.get(index).cloned().unwrap_or(Value::Nil);
        match lua.coerce_string(value) {
            Ok(Some(s)) => Ok(s.as_bytes().to_vec()),
            _ => Err(self.type_error(index, "string")),
        }
    }

    /// `luaL_checknumber`: a number, or a string Lua reads as one.
    pub fn number(&self, lua: &Lua, index: usize) -> Result<f64, Failure> {
        let value = self.get(index).cloned().unwrap_or(Value::Nil);
        match lua.coerce_number(value) {
            Ok(Some(n)) => Ok(n),
            _ => Err(self.type_error(index, "number")),
        }
    }

    /// `luaL_checkinteger`: a number truncated toward zero, as Lua 5.1's
    /// `lua_tointeger` does.
    pub fn integer(&self, lua: &Lua, index: usize) -> Result<i64, Failure> {
        self.number(lua, index).map(|n| n as i64)
    }

    /// `luaL_optinteger`: `default` when the argument is absent or nil.
    pub fn opt_integer(&self, lua: &Lua, index: usize, default: i64) -> Result<i64, Failure> {
        match self.get(index) {
            None | Some(Value::Nil) => Ok(default),
            Some(_) => self.integer(lua, index),
        }
    }
}

/// `luaL_typename` of an argument: `no value` when it was not given.
pub fn type_name(value: Option<&Value>) -> &'static str {
    match value {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// Turns a library result into what [`super::checked_multi`] expects: `true`
/// and the values, or `false` (`nil` for a bare failure) and the message.
pub fn finish(lua: &Lua, result: Result<Vec<Value>, Failure>) -> mlua::Result<MultiValue> {
    let mut out = MultiValue::new();
    match result {
        Ok(values) => {
            out.push_back(Value::Boolean(true));
            out.extend(values);
        }
        Err(failure) => {
            out.push_back(if failure.positioned { Value::Boolean(false) } else { Value::Nil });
            out.push_back(Value::String(lua.create_string(failure.message)?));
        }
    }
    Ok(out)
}

/// What the unit tests of the Rust-written libraries share: a plain VM with one
/// library installed, the hex of packed bytes, the text of a raised error.
#[cfg(test)]
pub mod testing {
    use mlua::{Lua, Table};

    /// A VM with the library `create` builds installed as the global `name`.
    pub fn lua_with(name: &str, create: fn(&Lua) -> mlua::Result<Table>) -> Lua {
        let lua = Lua::new();
        lua.globals().set(name, create(&lua).unwrap()).unwrap();
        lua
    }

    /// The lower-case hex of the string the Lua expression `packed` returns.
    pub fn hex(lua: &Lua, packed: &str) -> String {
        let code = format!(
            "local e = {packed} local h = '' for i = 1, #e do h = h .. string.format('%02x', string.byte(e, i)) end return h"
        );
        lua.load(code).eval::<String>().unwrap()
    }

    /// The message of the error the chunk `code` raises.
    pub fn error_of(lua: &Lua, code: &str) -> String {
        lua.load(code).exec().unwrap_err().to_string()
    }
}
