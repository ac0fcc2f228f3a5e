//! Conversions between Redis replies and Lua values, as Redis 7.0's
//! `script_lua.c` does them: a command's RESP reply becomes a Lua value
//! (`redisProtocolToLuaType`), and a script's return value becomes the reply
//! (`luaReplyToRedisReply`).

use mlua::{Lua, Table, Value};

use crate::protocol::{Protocol, ReplyWriter};

/// The deepest reply nesting converted to Lua; deeper replies (which no command
/// writes) are cut off with an error.
const MAX_DEPTH: usize = 128;

/// The field marking an error table whose error is already counted in the
/// error statistics (it came from a command a script called), so the script's
/// reply does not count it again.
pub const COUNTED: &str = "ignore_error_stats_update";

/// The error table `luaPushErrorBuff` builds from an error line: `-CODE msg`
/// becomes `{err = "CODE msg"}`, a line without a leading `-` gets the `ERR` code.
pub fn error_table(lua: &Lua, line: &[u8]) -> mlua::Result<Table> {
    let (code, msg): (&[u8], &[u8]) = if let Some(rest) = line.strip_prefix(b"-") {
        match rest.iter().position(|&b| b == b' ') {
            Some(space) => (&rest[..space], &rest[space + 1..]),
            None => (b"ERR", rest),
        }
    } else {
        (b"ERR", line)
    };
    let trim = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = msg.iter().position(|b| !trim(b)).unwrap_or(msg.len());
    let end = msg.iter().rposition(|b| !trim(b)).map_or(start, |e| e + 1);
    let mut text = Vec::with_capacity(code.len() + 1 + end - start);
    text.extend_from_slice(code);
    text.push(b' ');
    text.extend_from_slice(&msg[start..end.max(start)]);
    let table = lua.create_table()?;
    table.raw_set("err", lua.create_string(&text)?)?;
    Ok(table)
}

/// Parses one RESP2/RESP3 reply from `bytes` into a Lua value; returns the value,
/// whether it is an error reply, and the bytes consumed.
pub fn reply_to_lua(lua: &Lua, bytes: &[u8]) -> mlua::Result<(Value, bool)> {
    let mut parser = ReplyParser { bytes, pos: 0 };
    let is_error = bytes.first() == Some(&b'-');
    let value = parser.value(lua, 0)?;
    Ok((value, is_error))
}

struct ReplyParser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl ReplyParser<'_> {
    fn line(&mut self) -> mlua::Result<&[u8]> {
        let rest = &self.bytes[self.pos..];
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| mlua::Error::runtime("truncated reply from a command"))?;
        self.pos += end + 2;
        Ok(&rest[..end])
    }

    fn number(&mut self) -> mlua::Result<i64> {
        let line = self.line()?;
        std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| mlua::Error::runtime("bad length in a command's reply"))
    }

    fn bulk(&mut self, len: i64) -> mlua::Result<&[u8]> {
        let len = len as usize;
        let start = self.pos;
        if start + len + 2 > self.bytes.len() {
            return Err(mlua::Error::runtime("truncated reply from a command"));
        }
        self.pos += len + 2;
        Ok(&self.bytes[start..start + len])
    }

    fn value(&mut self, lua: &Lua, depth: usize) -> mlua::Result<Value> {
        if depth > MAX_DEPTH {
            return Err(mlua::Error::runtime("reached lua stack limit"));
        }
        let Some(&kind) = self.bytes.get(self.pos) else {
            return Err(mlua::Error::runtime("truncated reply from a command"));
        };
        self.pos += 1;
        Ok(match kind {
            b'+' => {
                let line = self.line()?.to_vec();
                let t = lua.create_table()?;
                t.raw_set("ok", lua.create_string(&line)?)?;
                Value::Table(t)
            }
            b'-' => {
                let mut line = vec![b'-'];
                line.extend_from_slice(self.line()?);
                let t = error_table(lua, &line)?;
                t.raw_set(COUNTED, true)?;
                Value::Table(t)
            }
            b':' => Value::Number(self.number()? as f64),
            b'$' | b'=' => {
                let len = self.number()?;
                if len < 0 {
                    return Ok(Value::Boolean(false));
                }
                let body = self.bulk(len)?;
                if kind == b'=' {
                    let (format, text) = body.split_at(body.len().min(4));
                    let inner = lua.create_table()?;
                    inner.raw_set("string", lua.create_string(text)?)?;
                    inner.raw_set("format", lua.create_string(&format[..format.len().min(3)])?)?;
                    let t = lua.create_table()?;
                    t.raw_set("verbatim_string", inner)?;
                    Value::Table(t)
                } else {
                    Value::String(lua.create_string(body)?)
                }
            }
            b'*' => {
                let len = self.number()?;
                if len < 0 {
                    return Ok(Value::Boolean(false));
                }
                let t = lua.create_table()?;
                for i in 0..len {
                    let v = self.value(lua, depth + 1)?;
                    t.raw_set(i + 1, v)?;
                }
                Value::Table(t)
            }
            b'%' | b'~' => {
                let len = self.number()?;
                let inner = lua.create_table()?;
                for _ in 0..len {
                    let k = self.value(lua, depth + 1)?;
                    let v = if kind == b'%' { self.value(lua, depth + 1)? } else { Value::Boolean(true) };
                    if !matches!(k, Value::Nil) {
                        inner.raw_set(k, v)?;
                    }
                }
                let t = lua.create_table()?;
                t.raw_set(if kind == b'%' { "map" } else { "set" }, inner)?;
                Value::Table(t)
            }
            b'_' => {
                self.line()?;
                Value::Nil
            }
            b'#' => Value::Boolean(self.line()? == b"t"),
            b',' => {
                let line = self.line()?;
                let d = match line {
                    b"inf" => f64::INFINITY,
                    b"-inf" => f64::NEG_INFINITY,
                    b"nan" => f64::NAN,
                    _ => std::str::from_utf8(line).ok().and_then(|s| s.parse().ok()).unwrap_or(0.0),
                };
                let t = lua.create_table()?;
                t.raw_set("double", d)?;
                Value::Table(t)
            }
            b'(' => {
                let line = self.line()?.to_vec();
                let t = lua.create_table()?;
                t.raw_set("big_number", lua.create_string(&line)?)?;
                Value::Table(t)
            }
            b'|' => {
                let len = self.number()?;
                for _ in 0..len * 2 {
                    self.value(lua, depth + 1)?;
                }
                self.value(lua, depth)?
            }
            b'>' => {
                let len = self.number()?;
                let t = lua.create_table()?;
                for i in 0..len {
                    let v = self.value(lua, depth + 1)?;
                    t.raw_set(i + 1, v)?;
                }
                Value::Table(t)
            }
            _ => return Err(mlua::Error::runtime("unknown reply type from a command")),
        })
    }
}

/// What a script's return value converts to, besides a plain reply: the parts of an
/// error (the message, and where the script raised it, when known).
pub struct ScriptError {
    /// The error line without its `-` (`ERR …`, or whatever code the script gave).
    pub msg: Vec<u8>,
    /// `@user_script` and the line, for the `script: …, on …` decoration.
    pub source: Option<(Vec<u8>, Vec<u8>)>,
}

/// Reads an error table's parts (`luaExtractErrorInformation`).
pub fn error_parts(table: &Table) -> mlua::Result<ScriptError> {
    let msg: Value = table.raw_get("err")?;
    let msg = match msg {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Number(n) => super::format::lua_number(n).into_bytes(),
        Value::Integer(n) => n.to_string().into_bytes(),
        _ => Vec::new(),
    };
    let source: Value = table.raw_get("source")?;
    let line: Value = table.raw_get("line")?;
    let source = match (source, line) {
        (Value::String(s), Value::Number(l)) => {
            Some((s.as_bytes().to_vec(), super::format::lua_number(l).into_bytes()))
        }
        (Value::String(s), Value::Integer(l)) => Some((s.as_bytes().to_vec(), l.to_string().into_bytes())),
        (Value::String(s), Value::String(l)) => Some((s.as_bytes().to_vec(), l.as_bytes().to_vec())),
        _ => None,
    };
    Ok(ScriptError { msg, source })
}

/// Writes an error line as `addReplyErrorFormat` does: newlines become spaces,
/// and a missing `-` is supplied by the writer.
pub fn write_error(out: &mut ReplyWriter, line: &[u8]) {
    let text: String =
        String::from_utf8_lossy(line).chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
    out.error(&text);
}

/// Writes a script's return value `value` as the reply. `script_protocol` is the
/// protocol the script chose with `redis.setresp` (booleans follow it).
pub fn lua_to_reply(out: &mut ReplyWriter, value: &Value, script_protocol: Protocol, depth: usize) {
    if depth > MAX_DEPTH {
        out.error("ERR reached lua stack limit");
        return;
    }
    match value {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => match script_protocol {
            Protocol::Resp2 if *b => out.integer(1),
            Protocol::Resp2 => out.null(),
            Protocol::Resp3 => out.boolean(*b),
        },
        Value::Number(n) => out.integer(truncate(*n)),
        Value::Integer(n) => out.integer(*n),
        Value::Table(t) => table_to_reply(out, t, script_protocol, depth),
        _ => out.null(),
    }
}

/// C's `(long long)` of a Lua number as x86-64 computes it: truncated toward
/// zero, and `i64::MIN` (the "integer indefinite" value) where C is undefined:
/// NaN and anything outside the range, positive or negative.
pub fn truncate(n: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

fn table_to_reply(out: &mut ReplyWriter, t: &Table, proto: Protocol, depth: usize) {
    let get = |key: &str| t.raw_get::<Value>(key).unwrap_or(Value::Nil);
    if let Value::String(_) = get("err") {
        match error_parts(t) {
            Ok(parts) => write_error(out, &parts.msg),
            Err(_) => out.error("ERR"),
        }
        return;
    }
    if let Value::String(s) = get("ok") {
        let text: String = String::from_utf8_lossy(&s.as_bytes())
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        out.simple(&text);
        return;
    }
    match get("double") {
        Value::Number(d) => return out.double(d),
        Value::Integer(d) => return out.double(d as f64),
        _ => {}
    }
    if let Value::String(s) = get("big_number") {
        let text: Vec<u8> =
            s.as_bytes().iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
        match out.protocol() {
            Protocol::Resp2 => out.bulk(&text),
            Protocol::Resp3 => {
                let mut line = vec![b'('];
                line.extend_from_slice(&text);
                line.extend_from_slice(b"\r\n");
                out.raw(&line);
            }
        }
        return;
    }
    if let Value::Table(v) = get("verbatim_string") {
        if let (Ok(Value::String(format)), Ok(Value::String(text))) =
            (v.raw_get::<Value>("format"), v.raw_get::<Value>("string"))
        {
            let format = String::from_utf8_lossy(&format.as_bytes()).into_owned();
            out.verbatim(&format, &text.as_bytes());
            return;
        }
    }
    if let Value::Table(map) = get("map") {
        let pairs: Vec<(Value, Value)> = map.pairs::<Value, Value>().filter_map(|p| p.ok()).collect();
        out.map(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(out, k, proto, depth + 1);
            lua_to_reply(out, v, proto, depth + 1);
        }
        return;
    }
    if let Value::Table(set) = get("set") {
        let keys: Vec<Value> = set.pairs::<Value, Value>().filter_map(|p| p.ok().map(|(k, _)| k)).collect();
        out.set(keys.len());
        for k in &keys {
            lua_to_reply(out, k, proto, depth + 1);
        }
        return;
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
    }
    out.array(items.len());
    for v in &items {
        lua_to_reply(out, v, proto, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lua() -> Lua {
        Lua::new()
    }

    #[test]
    fn error_lines_become_error_tables() {
        let lua = lua();
        let t = error_table(&lua, b"-WRONGTYPE Operation against a key").unwrap();
        assert_eq!(t.raw_get::<String>("err").unwrap(), "WRONGTYPE Operation against a key");
        let t = error_table(&lua, b"plain message\r\n").unwrap();
        assert_eq!(t.raw_get::<String>("err").unwrap(), "ERR plain message");
        let t = error_table(&lua, b"-NOCODE").unwrap();
        assert_eq!(t.raw_get::<String>("err").unwrap(), "ERR NOCODE");
    }

    #[test]
    fn replies_round_trip_through_lua() {
        let lua = lua();
        let (v, err) = reply_to_lua(&lua, b"*3\r\n:1\r\n$-1\r\n$3\r\nabc\r\n").unwrap();
        assert!(!err);
        let mut out = ReplyWriter::new(Protocol::Resp2);
        lua_to_reply(&mut out, &v, Protocol::Resp2, 0);
        // The nil bulk became false, which ends nothing: false converts back to a null.
        assert_eq!(out.as_bytes(), b"*3\r\n:1\r\n$-1\r\n$3\r\nabc\r\n");
        let (v, err) = reply_to_lua(&lua, b"-ERR bad\r\n").unwrap();
        assert!(err);
        let mut out = ReplyWriter::new(Protocol::Resp2);
        lua_to_reply(&mut out, &v, Protocol::Resp2, 0);
        assert_eq!(out.as_bytes(), b"-ERR bad\r\n");
    }

    #[test]
    fn resp3_types_convert_to_tagged_tables() {
        let lua = lua();
        let (v, _) = reply_to_lua(&lua, b"%1\r\n$1\r\na\r\n,1.5\r\n").unwrap();
        let mut out = ReplyWriter::new(Protocol::Resp3);
        lua_to_reply(&mut out, &v, Protocol::Resp3, 0);
        assert_eq!(out.as_bytes(), b"%1\r\n$1\r\na\r\n,1.5\r\n");
        let mut out = ReplyWriter::new(Protocol::Resp2);
        lua_to_reply(&mut out, &v, Protocol::Resp3, 0);
        assert_eq!(out.as_bytes(), b"*2\r\n$1\r\na\r\n$3\r\n1.5\r\n");
        let (v, _) = reply_to_lua(&lua, b"#t\r\n").unwrap();
        let mut out = ReplyWriter::new(Protocol::Resp2);
        lua_to_reply(&mut out, &v, Protocol::Resp2, 0);
        assert_eq!(out.as_bytes(), b":1\r\n");
    }

    #[test]
    fn numbers_truncate_and_arrays_stop_at_nil() {
        let lua = lua();
        let v: Value = lua.load("return {3.99, -2.5, nil, 4}").eval().unwrap();
        let mut out = ReplyWriter::new(Protocol::Resp2);
        lua_to_reply(&mut out, &v, Protocol::Resp2, 0);
        assert_eq!(out.as_bytes(), b"*2\r\n:3\r\n:-2\r\n");
        let v: Value = lua.load("return {ok='fine\\r\\nline'}").eval().unwrap();
        let mut out = ReplyWriter::new(Protocol::Resp2);
        lua_to_reply(&mut out, &v, Protocol::Resp2, 0);
        assert_eq!(out.as_bytes(), b"+fine  line\r\n");
    }
}
