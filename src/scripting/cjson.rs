//! The `cjson` library as Redis bundles it (lua-cjson 2.1): `encode` prints
//! numbers with `%.14g`, encodes an empty table as `{}` and escapes `/`;
//! `decode` maps `null` to `cjson.null`. Both refuse nesting deeper than 1000.
//! The settings lua-cjson has and Redis's suite uses are kept per VM:
//! `encode_max_depth`, `decode_max_depth`, `encode_invalid_numbers` and
//! `encode_keep_buffer` (accepted; it only tunes lua-cjson's buffer reuse).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mlua::{LightUserData, Lua, Table, Value};

use super::format::format_g;

/// The deepest nesting `encode` and `decode` accept. lua-cjson's default is
/// 1000; ours is lower so that the recursion fits a connection thread's stack
/// in every build.
pub const MAX_DEPTH: usize = 128;

/// The VM's lua-cjson settings.
struct Settings {
    encode_max_depth: AtomicUsize,
    decode_max_depth: AtomicUsize,
    /// 0 refuses NaN and infinities, 1 writes `NaN`/`Infinity`, 2 writes `null`.
    encode_invalid_numbers: AtomicUsize,
    encode_keep_buffer: AtomicUsize,
}

/// lua-cjson's `json_integer_option`/`json_enum_option` over one setting: no
/// argument reads it, one sets it; the value as lua-cjson returns it.
fn option(lua: &Lua, args: &mlua::MultiValue, setting: &AtomicUsize, kind: Opt) -> Result<Value, String> {
    if args.len() > 1 {
        return Err("bad argument #2 to '?' (found too many arguments)".into());
    }
    let value = args.front().cloned().unwrap_or(Value::Nil);
    match kind {
        Opt::Depth => {
            if !value.is_nil() {
                let n = match value {
                    Value::Integer(n) => n as f64,
                    Value::Number(n) => n,
                    Value::String(ref s) => {
                        s.to_str().ok().and_then(|s| s.trim().parse().ok()).unwrap_or(f64::NAN)
                    }
                    _ => f64::NAN,
                };
                if !(1.0..=i32::MAX as f64).contains(&n.trunc()) {
                    return Err("bad argument #1 to '?' (expected integer between 1 and 2147483647)".into());
                }
                setting.store(n as usize, Ordering::Relaxed);
            }
            Ok(Value::Integer(setting.load(Ordering::Relaxed) as _))
        }
        Opt::Enum(names) => {
            match &value {
                Value::Nil => {}
                Value::Boolean(b) => setting.store(*b as usize, Ordering::Relaxed),
                Value::String(s) => match names.iter().position(|n| s.as_bytes()[..] == *n.as_bytes()) {
                    Some(i) => setting.store(i, Ordering::Relaxed),
                    None => {
                        return Err(format!(
                            "bad argument #1 to '?' (invalid option '{}')",
                            s.to_string_lossy()
                        ))
                    }
                },
                other => {
                    return Err(format!(
                        "bad argument #1 to '?' (string expected, got {})",
                        other.type_name()
                    ))
                }
            }
            Ok(match setting.load(Ordering::Relaxed) {
                n @ (0 | 1) => Value::Boolean(n == 1),
                n => Value::String(lua.create_string(names[n]).map_err(|e| e.to_string())?),
            })
        }
    }
}

/// Which setting of [`Settings`] a configuration function reads and sets.
type Field = fn(&Settings) -> &AtomicUsize;

#[derive(Clone, Copy)]
enum Opt {
    Depth,
    Enum(&'static [&'static str]),
}

/// Builds the `cjson` table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let cjson = lua.create_table()?;
    let settings = Arc::new(Settings {
        encode_max_depth: AtomicUsize::new(1000),
        decode_max_depth: AtomicUsize::new(1000),
        encode_invalid_numbers: AtomicUsize::new(0),
        encode_keep_buffer: AtomicUsize::new(1),
    });
    let options: [(&str, Field, Opt); 4] = [
        ("encode_max_depth", |s| &s.encode_max_depth, Opt::Depth),
        ("decode_max_depth", |s| &s.decode_max_depth, Opt::Depth),
        ("encode_invalid_numbers", |s| &s.encode_invalid_numbers, Opt::Enum(&["off", "on", "null"])),
        ("encode_keep_buffer", |s| &s.encode_keep_buffer, Opt::Enum(&["off", "on"])),
    ];
    for (name, field, kind) in options {
        let settings = settings.clone();
        let f = lua.create_function(move |lua, args: mlua::MultiValue| {
            Ok(match option(lua, &args, field(&settings), kind) {
                Ok(v) => (true, v),
                Err(e) => (false, Value::String(lua.create_string(e)?)),
            })
        })?;
        cjson.set(name, super::checked(lua, f)?)?;
    }
    let encoding = settings.clone();
    let encode_fn = lua.create_function(move |lua, value: Value| {
        let mut out = Vec::new();
        let limits = Limits {
            max_depth: encoding.encode_max_depth.load(Ordering::Relaxed).min(MAX_DEPTH),
            invalid_numbers: encoding.encode_invalid_numbers.load(Ordering::Relaxed),
        };
        Ok(match encode(&value, &mut out, 1, &limits) {
            Ok(()) => (true, Value::String(lua.create_string(&out)?)),
            Err(e) => (false, Value::String(lua.create_string(e)?)),
        })
    })?;
    cjson.set("encode", super::checked(lua, encode_fn)?)?;
    let decoding = settings;
    let decode_fn = lua.create_function(move |lua, text: Value| {
        let Value::String(text) = text else {
            let msg = format!("bad argument #1 to 'decode' (string expected, got {})", text.type_name());
            return Ok((false, Value::String(lua.create_string(msg)?)));
        };
        let bytes = text.as_bytes();
        let max_depth = decoding.decode_max_depth.load(Ordering::Relaxed).min(MAX_DEPTH);
        let mut parser = Decoder { bytes: &bytes, pos: 0, max_depth };
        parser.skip_ws();
        let result = parser.value(lua, 1).and_then(|value| {
            parser.skip_ws();
            if parser.pos < bytes.len() {
                return Err(parser.error("the end"));
            }
            Ok(value)
        });
        Ok(match result {
            Ok(value) => (true, value),
            Err(Failure::Lua(e)) => return Err(e),
            Err(Failure::Msg(m)) => (false, Value::String(lua.create_string(m)?)),
        })
    })?;
    cjson.set("decode", super::checked(lua, decode_fn)?)?;
    cjson.set("null", Value::LightUserData(LightUserData(std::ptr::null_mut())))?;
    Ok(cjson)
}

/// What one `encode` call may do.
struct Limits {
    max_depth: usize,
    invalid_numbers: usize,
}

fn encode(value: &Value, out: &mut Vec<u8>, depth: usize, limits: &Limits) -> Result<(), String> {
    match value {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::Number(n) => match (n.is_finite(), limits.invalid_numbers) {
            (true, _) => out.extend_from_slice(format_g(*n, 14).as_bytes()),
            (false, 0) => return Err("Cannot serialise number: must not be NaN or Inf".into()),
            (false, 1) if n.is_nan() => out.extend_from_slice(b"NaN"),
            (false, 1) if *n < 0.0 => out.extend_from_slice(b"-Infinity"),
            (false, 1) => out.extend_from_slice(b"Infinity"),
            (false, _) => out.extend_from_slice(b"null"),
        },
        Value::String(s) => encode_string(&s.as_bytes(), out),
        Value::Table(t) => {
            if depth > limits.max_depth {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(t)? {
                Some(len) if len > 0 => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        encode(&t.raw_get::<Value>(i).map_err(|e| e.to_string())?, out, depth + 1, limits)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.clone().pairs::<Value, Value>() {
                        let (k, v) = pair.map_err(|e| e.to_string())?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => encode_string(&s.as_bytes(), out),
                            Value::Number(n) => encode_string(format_g(*n, 14).as_bytes(), out),
                            Value::Integer(n) => encode_string(n.to_string().as_bytes(), out),
                            _ => {
                                return Err(
                                    "Cannot serialise table: table key must be a number or string".into()
                                )
                            }
                        }
                        out.push(b':');
                        encode(&v, out, depth + 1, limits)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => return Err(format!("Cannot serialise {}: type not supported", other.type_name())),
    }
    Ok(())
}

/// The table's length when every key is a positive integer (`None` otherwise);
/// an excessively sparse array is an error, as lua-cjson's default.
fn array_length(t: &Table) -> Result<Option<usize>, String> {
    let mut max = 0usize;
    let mut items = 0usize;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        let n = match k {
            Value::Integer(n) => n as f64,
            Value::Number(n) => n,
            _ => return Ok(None),
        };
        if n < 1.0 || n.fract() != 0.0 {
            return Ok(None);
        }
        max = max.max(n as usize);
        items += 1;
    }
    if max > 10 && max > items * 2 {
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(Some(max))
}

fn encode_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Why decoding stopped: bad input (a message for the script) or the VM itself.
enum Failure {
    Msg(String),
    Lua(mlua::Error),
}

impl From<mlua::Error> for Failure {
    fn from(e: mlua::Error) -> Self {
        Failure::Lua(e)
    }
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// `decode_max_depth`.
    max_depth: usize,
}

impl Decoder<'_> {
    fn error(&self, expected: &str) -> Failure {
        let found = match self.bytes.get(self.pos) {
            None => "T_END".to_string(),
            Some(_) => "invalid token".to_string(),
        };
        Failure::Msg(format!("Expected {expected} but found {found} at character {}", self.pos + 1))
    }

    fn skip_ws(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, lua: &Lua, depth: usize) -> Result<Value, Failure> {
        match self.bytes.get(self.pos) {
            Some(b'{') | Some(b'[') if depth > self.max_depth => Err(Failure::Msg(format!(
                "Found too many nested data structures ({depth}) at character {}",
                self.pos + 1
            ))),
            Some(b'{') => {
                self.pos += 1;
                let t = lua.create_table()?;
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Value::Table(t));
                }
                loop {
                    self.skip_ws();
                    if self.bytes.get(self.pos) != Some(&b'"') {
                        return Err(self.error("object key string"));
                    }
                    let key = self.string(lua)?;
                    self.skip_ws();
                    if self.bytes.get(self.pos) != Some(&b':') {
                        return Err(self.error("colon"));
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let v = self.value(lua, depth + 1)?;
                    t.raw_set(key, v)?;
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Value::Table(t));
                        }
                        _ => return Err(self.error("comma or object end")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let t = lua.create_table()?;
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Value::Table(t));
                }
                let mut i = 1;
                loop {
                    self.skip_ws();
                    let v = self.value(lua, depth + 1)?;
                    t.raw_set(i, v)?;
                    i += 1;
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::Table(t));
                        }
                        _ => return Err(self.error("comma or array end")),
                    }
                }
            }
            Some(b'"') => Ok(Value::String(self.string(lua)?)),
            Some(b't') if self.literal(b"true") => Ok(Value::Boolean(true)),
            Some(b'f') if self.literal(b"false") => Ok(Value::Boolean(false)),
            Some(b'n') if self.literal(b"null") => {
                Ok(Value::LightUserData(LightUserData(std::ptr::null_mut())))
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while matches!(self.bytes.get(self.pos), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("");
                match text.parse::<f64>() {
                    Ok(n) => Ok(Value::Number(n)),
                    Err(_) => {
                        self.pos = start;
                        Err(self.error("value"))
                    }
                }
            }
            _ => Err(self.error("value")),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.pos..self.pos + 4)?;
        let code = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        self.pos += 4;
        Some(code)
    }

    fn string(&mut self, lua: &Lua) -> Result<mlua::String, Failure> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                self.pos = start;
                return Err(self.error("value"));
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.bytes.get(self.pos) else { return Err(self.error("value")) };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let Some(mut code) = self.hex4() else { return Err(self.error("value")) };
                            if (0xD800..0xDC00).contains(&code) && self.bytes[self.pos..].starts_with(b"\\u")
                            {
                                self.pos += 2;
                                let low = self.hex4().unwrap_or(0);
                                code = 0x10000 + ((code - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3ff);
                            }
                            let c = char::from_u32(code).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            self.pos -= 2;
                            return Err(self.error("value"));
                        }
                    }
                }
                _ => out.push(b),
            }
        }
        Ok(lua.create_string(&out)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lua() -> Lua {
        let lua = Lua::new();
        lua.globals().set("error", lua.globals().get::<mlua::Function>("error").unwrap()).unwrap();
        lua.globals().set("cjson", create(&lua).unwrap()).unwrap();
        lua
    }

    fn eval(lua: &Lua, code: &str) -> mlua::Result<String> {
        lua.load(code).eval::<String>()
    }

    #[test]
    fn encodes_as_redis_cjson() {
        let lua = lua();
        assert_eq!(eval(&lua, "return cjson.encode({})").unwrap(), "{}");
        assert_eq!(eval(&lua, "return cjson.encode({1,2.5,'a',{x=1}})").unwrap(), "[1,2.5,\"a\",{\"x\":1}]");
        assert_eq!(eval(&lua, "return cjson.encode(1/3)").unwrap(), "0.33333333333333");
        assert_eq!(eval(&lua, "return cjson.encode('a/b\\n')").unwrap(), "\"a\\/b\\n\"");
        assert!(eval(&lua, "return cjson.encode({[1]=1,[100]=2})").is_err());
        assert!(eval(&lua, "return cjson.encode(function() end)").is_err());
    }

    #[test]
    fn decodes_and_refuses_deep_nesting() {
        let lua = lua();
        assert_eq!(
            eval(&lua, "local t = cjson.decode('{\"a\":[1,2,{\"b\":null}]}') return tostring(t.a[2]) .. type(t.a[3].b)")
                .unwrap(),
            "2userdata"
        );
        assert_eq!(eval(&lua, "return cjson.decode('\"\\\\u00e9\"')").unwrap(), "é");
        let deep = format!("return cjson.decode('{}{}')", "[".repeat(100_000), "]".repeat(100_000));
        let error = eval(&lua, &deep).unwrap_err().to_string();
        assert!(error.contains("Found too many nested data structures (129)"), "{error}");
        let deep = "local t = {} local c = t for i = 1, 200 do c[1] = {} c = c[1] end return cjson.encode(t)";
        assert!(eval(&lua, deep).unwrap_err().to_string().contains("excessive nesting"));
        assert!(eval(&lua, "return cjson.decode('[1,')").is_err());
        assert!(eval(&lua, "return cjson.decode('{\"a\" 1}')").is_err());
    }
}
