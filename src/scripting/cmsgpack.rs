//! The `cmsgpack` library as Redis bundles it (lua-cmsgpack 0.4.0): `pack`
//! turns its arguments into concatenated MessagePack values, `unpack`,
//! `unpack_one` and `unpack_limit` read them back.
//!
//! Its quirks are kept, since scripts (BullMQ's among them) rely on the bytes:
//! a number that is a whole 64-bit integer packs as the smallest integer form,
//! any other as a float when a float holds it exactly, else a double; a table
//! whose keys are exactly `1..n` packs as an array (an empty table too), any
//! other as a map; tables nested deeper than [`MAX_NESTING`] pack as nil (so a
//! circular reference packs as a deep copy); functions and userdata pack as nil.
//! Unpacking is bounded by [`MAX_DECODE_DEPTH`] (lua-cmsgpack is bounded only
//! by the C stack, the stack overflows of CVE-2021-32626) and by Lua 5.1's
//! stack for the number of values returned at once.

use mlua::{Lua, MultiValue, Table, Value};

use super::luaarg::{finish, Args, Failure, MAX_C_STACK};

/// Tables nested deeper than this pack as nil (lua-cmsgpack's
/// `LUACMSGPACK_MAX_NESTING`).
pub const MAX_NESTING: usize = 16;

/// The deepest nesting of arrays and maps `unpack` reads: deeper input is an
/// error, not a stack overflow. As deep as `cjson`'s limit, so the recursion
/// fits the stack of any thread a script runs on in every build.
pub const MAX_DECODE_DEPTH: usize = super::cjson::MAX_DEPTH;

/// Builds the `cmsgpack` table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    let pack = lua.create_function(|lua, values: MultiValue| {
        let args = Args { values: &values, function: "pack" };
        finish(lua, pack(lua, &args))
    })?;
    table.set("pack", super::checked_multi(lua, pack)?)?;
    let unpack = lua.create_function(|lua, values: MultiValue| {
        let args = Args { values: &values, function: "unpack" };
        finish(lua, unpack_full(lua, &args, 0, 0))
    })?;
    table.set("unpack", super::checked_multi(lua, unpack)?)?;
    let unpack_one = lua.create_function(|lua, values: MultiValue| {
        let args = Args { values: &values, function: "unpack_one" };
        let result = args.opt_integer(lua, 2, 0).and_then(|offset| unpack_full(lua, &args, 1, offset));
        finish(lua, result)
    })?;
    table.set("unpack_one", super::checked_multi(lua, unpack_one)?)?;
    let unpack_limit = lua.create_function(|lua, values: MultiValue| {
        let args = Args { values: &values, function: "unpack_limit" };
        let result = args.integer(lua, 2).and_then(|limit| {
            let offset = args.opt_integer(lua, 3, 0)?;
            unpack_full(lua, &args, limit, offset)
        });
        finish(lua, result)
    })?;
    table.set("unpack_limit", super::checked_multi(lua, unpack_limit)?)?;
    table.set("_NAME", "cmsgpack")?;
    table.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    table.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    table.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(table)
}

fn pack(lua: &Lua, args: &Args<'_>) -> Result<Vec<Value>, Failure> {
    if args.values.is_empty() {
        return Err(args.error(0, "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for value in args.values.iter() {
        encode(value, &mut out, 0)?;
    }
    Ok(vec![Value::String(lua.create_string(&out)?)])
}

fn encode(value: &Value, out: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    match value {
        Value::String(s) => encode_bytes(out, &s.as_bytes()),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => encode_number(out, *n as f64),
        Value::Number(n) => encode_number(out, *n),
        Value::Table(t) if level < MAX_NESTING => encode_table(t, out, level)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// A whole number within `i64` packs as an integer; anything else as a float
/// when the float is exact, else as a double.
fn encode_number(out: &mut Vec<u8>, n: f64) {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if n.is_finite() && (-TWO_63..TWO_63).contains(&n) && n.trunc() == n {
        encode_int(out, n as i64);
    } else if n == n as f32 as f64 {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_header(out: &mut Vec<u8>, n: usize, fix: u8, sixteen: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(sixteen);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(sixteen + 1);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn encode_table(t: &Table, out: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    if is_array(t)? {
        let len = t.raw_len();
        encode_header(out, len, 0x90, 0xdc);
        for j in 1..=len {
            let value: Value = t.get(j)?;
            encode(&value, out, level + 1)?;
        }
    } else {
        let mut len = 0usize;
        for pair in t.pairs::<Value, Value>() {
            pair?;
            len += 1;
        }
        encode_header(out, len, 0x80, 0xde);
        for pair in t.pairs::<Value, Value>() {
            let (key, value) = pair?;
            encode(&key, out, level + 1)?;
            encode(&value, out, level + 1)?;
        }
    }
    Ok(())
}

/// Whether every key is a whole number in `1..=i32::MAX` and the largest
/// equals the count: the keys are exactly `1..n` (lua-cmsgpack's
/// `table_is_an_array`; true for an empty table).
fn is_array(t: &Table) -> mlua::Result<bool> {
    let (mut count, mut max) = (0i64, 0i64);
    for pair in t.pairs::<Value, Value>() {
        let n = match pair?.0 {
            Value::Integer(n) => n as f64,
            Value::Number(n) => n,
            _ => return Ok(false),
        };
        if n <= 0.0 || n > i32::MAX as f64 || n.trunc() != n {
            return Ok(false);
        }
        max = max.max(n as i64);
        count += 1;
    }
    Ok(max == count)
}

/// Why decoding stopped.
enum Stop {
    /// The input ends inside a value.
    Eof,
    /// A first byte no MessagePack type starts with.
    BadFormat,
    /// Any other failure, raised as it is.
    Other(Failure),
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        if self.left() < n {
            return Err(Stop::Eof);
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn be(&mut self, n: usize) -> Result<u64, Stop> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }
}

fn other(e: mlua::Error) -> Stop {
    Stop::Other(e.into())
}

/// One value. Its first byte is consumed before its body is read: a value cut
/// short fails the whole unpack, so where the cursor stops then does not matter.
fn decode(lua: &Lua, c: &mut Cursor<'_>, depth: usize) -> Result<Value, Stop> {
    let first = c.take(1)?[0];
    let number = |n: f64| Ok(Value::Number(n));
    let string = |bytes: &[u8]| Ok(Value::String(lua.create_string(bytes).map_err(other)?));
    match first {
        0xcc => number(c.be(1)? as f64),
        0xd0 => number(c.be(1)? as u8 as i8 as f64),
        0xcd => number(c.be(2)? as f64),
        0xd1 => number(c.be(2)? as u16 as i16 as f64),
        0xce => number(c.be(4)? as f64),
        0xd2 => number(c.be(4)? as u32 as i32 as f64),
        // A uint64 becomes a Lua integer first: past i64::MAX it wraps negative.
        0xcf | 0xd3 => number(c.be(8)? as i64 as f64),
        0xc0 => Ok(Value::Nil),
        0xc2 | 0xc3 => Ok(Value::Boolean(first == 0xc3)),
        0xca => number(f32::from_bits(c.be(4)? as u32) as f64),
        0xcb => number(f64::from_bits(c.be(8)?)),
        // str 8, 16, 32: a length of 1, 2 or 4 bytes.
        0xd9..=0xdb => {
            let len = c.be(1 << (first - 0xd9))? as usize;
            string(c.take(len)?)
        }
        // array 16, array 32, map 16, map 32.
        0xdc..=0xdf => {
            let len = c.be(if first & 1 == 0 { 2 } else { 4 })? as usize;
            collection(lua, c, len, first >= 0xde, depth)
        }
        b if b & 0x80 == 0 => number(b as f64),
        b if b & 0xe0 == 0xe0 => number(b as i8 as f64),
        b if b & 0xe0 == 0xa0 => string(c.take((b & 0x1f) as usize)?),
        b if b & 0xf0 == 0x90 || b & 0xf0 == 0x80 => {
            collection(lua, c, (b & 0x0f) as usize, b & 0xf0 == 0x80, depth)
        }
        _ => Err(Stop::BadFormat),
    }
}

/// An array (values at `1..=len`, nils leaving holes) or a map of `len` pairs.
fn collection(lua: &Lua, c: &mut Cursor<'_>, len: usize, map: bool, depth: usize) -> Result<Value, Stop> {
    if depth >= MAX_DECODE_DEPTH {
        return Err(Stop::Other("stack overflow (in function mp_decode_to_lua_array)".into()));
    }
    let table = lua.create_table().map_err(other)?;
    for index in 1..=len {
        let (key, value) = if map {
            (decode(lua, c, depth + 1)?, decode(lua, c, depth + 1)?)
        } else {
            (Value::Number(index as f64), decode(lua, c, depth + 1)?)
        };
        match key {
            Value::Nil => return Err(Stop::Other(Failure::bare("table index is nil"))),
            Value::Number(n) if n.is_nan() => return Err(Stop::Other(Failure::bare("table index is NaN"))),
            key => table.raw_set(key, value).map_err(other)?,
        }
    }
    Ok(Value::Table(table))
}

/// `mp_unpack_full`: up to `limit` values from `offset`; with both 0, every
/// value and no offset, else the next offset (-1 at the end) first.
fn unpack_full(lua: &Lua, args: &Args<'_>, limit: i64, offset: i64) -> Result<Vec<Value>, Failure> {
    let input = args.string(lua, 1)?;
    let len = input.len();
    if offset < 0 || limit < 0 {
        // lua-cmsgpack prints the input's length where it means the limit.
        return Err(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        )
        .into());
    }
    if offset as u64 > len as u64 {
        return Err(
            format!("Start offset {} greater than input length {}.", offset as i32, len as i32).into()
        );
    }
    let all = limit == 0 && offset == 0;
    let limit = if all { i32::MAX as i64 } else { limit };
    let mut cursor = Cursor { bytes: &input, pos: offset as usize };
    let mut values = Vec::new();
    while cursor.left() > 0 && (values.len() as i64) < limit {
        // The arguments and the results share Lua 5.1's C stack.
        if args.values.len() + values.len() + 1 > MAX_C_STACK {
            return Err(
                "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"
                    .into(),
            );
        }
        match decode(lua, &mut cursor, 0) {
            Ok(value) => values.push(value),
            Err(Stop::Eof) => return Err("Missing bytes in input.".into()),
            Err(Stop::BadFormat) => return Err("Bad data format in input.".into()),
            Err(Stop::Other(message)) => return Err(message),
        }
    }
    if !all {
        let next = if cursor.left() == 0 { -1.0 } else { cursor.pos as f64 };
        values.insert(0, Value::Number(next));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripting::luaarg::testing::{self, error_of};

    fn lua() -> Lua {
        testing::lua_with("cmsgpack", create)
    }

    fn hex(lua: &Lua, expr: &str) -> String {
        testing::hex(lua, &format!("cmsgpack.pack({expr})"))
    }

    #[test]
    fn packs_as_lua_cmsgpack() {
        let lua = lua();
        assert_eq!(hex(&lua, "0.1"), "cb3fb999999999999a");
        assert_eq!(hex(&lua, "-1099511627776"), "d3ffffff0000000000");
        assert_eq!(hex(&lua, "1.5"), "ca3fc00000");
        assert_eq!(hex(&lua, "1, -1, -33, 200, 70000"), "01ffd0dfccc8ce00011170");
        assert_eq!(hex(&lua, "{}"), "90");
        assert_eq!(hex(&lua, "{1, 2, 'a'}"), "930102a161");
        assert_eq!(hex(&lua, "{[2] = 1}"), "810201");
        assert_eq!(hex(&lua, "true, false, nil, print"), "c3c2c0c0");
        assert_eq!(hex(&lua, "2^63"), "ca5f000000");
        assert_eq!(hex(&lua, "2^64 + 2^12"), "cb43f0000000000001");
        assert_eq!(hex(&lua, "1/0"), "ca7f800000");
        assert_eq!(hex(&lua, "string.rep('x', 40)").len(), 2 * (2 + 40));
    }

    #[test]
    fn nesting_past_sixteen_packs_as_nil() {
        let lua = lua();
        let h = hex(&lua, "(function() local a = {} a[1] = a return a end)()");
        assert_eq!(h, format!("{}c0", "91".repeat(MAX_NESTING)));
    }

    #[test]
    fn unpack_round_trips_and_reports_offsets() {
        let lua = lua();
        let ok: bool = lua
            .load(
                r#"
                local t = cmsgpack.unpack(cmsgpack.pack({a = 1, b = {1, 2, 3}, c = 'x'}))
                assert(t.a == 1 and t.b[3] == 3 and t.c == 'x')
                local packed = cmsgpack.pack('one', 2, nil, 'four')
                local a, b, c, d = cmsgpack.unpack(packed)
                assert(a == 'one' and b == 2 and c == nil and d == 'four')
                local off, v = cmsgpack.unpack_one(packed)
                assert(off == 4 and v == 'one')
                off, v = cmsgpack.unpack_limit(packed, 1, off)
                assert(off == 5 and v == 2)
                local n, x, y = cmsgpack.unpack_limit(packed, 5, 6)
                assert(n == -1 and x == 'four' and y == nil)
                assert(select('#', cmsgpack.unpack('')) == 0)
                assert(cmsgpack.unpack(string.char(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)) == -1)
                return true
            "#,
            )
            .eval()
            .unwrap();
        assert!(ok);
    }

    #[test]
    fn bad_input_is_an_error() {
        let lua = lua();
        assert!(error_of(&lua, "cmsgpack.unpack('\\146\\1')").contains("Missing bytes in input."));
        assert!(error_of(&lua, "cmsgpack.unpack('\\193')").contains("Bad data format in input."));
        assert!(error_of(&lua, "cmsgpack.unpack('\\219\\255\\255\\255\\255')")
            .contains("Missing bytes in input."));
        assert!(error_of(&lua, "cmsgpack.pack()")
            .contains("bad argument #0 to 'pack' (MessagePack pack needs input.)"));
        assert!(error_of(&lua, "cmsgpack.unpack({})")
            .contains("bad argument #1 to 'unpack' (string expected, got table)"));
        assert!(error_of(&lua, "cmsgpack.unpack_one('\\1', 5)")
            .contains("Start offset 5 greater than input length 1."));
        assert!(error_of(&lua, "cmsgpack.unpack_limit('\\1', -1)").contains("Invalid request to unpack"));
        assert!(error_of(&lua, "cmsgpack.unpack('\\129\\192\\1')").contains("table index is nil"));
    }

    #[test]
    fn deep_nesting_and_many_values_are_bounded() {
        let lua = lua();
        let deep = format!("cmsgpack.unpack(string.rep('\\145', {}) .. '\\1')", 100_000);
        assert!(error_of(&lua, &deep).contains("stack overflow"));
        let fits = format!("return cmsgpack.unpack(string.rep('\\145', {}) .. '\\1')", MAX_DECODE_DEPTH);
        assert!(lua.load(fits).eval::<Table>().is_ok());
        let many = "cmsgpack.unpack(string.rep('\\1', 100000))";
        assert!(error_of(&lua, many).contains("too many return values"));
        let n: i64 = lua.load("return select('#', cmsgpack.unpack(string.rep('\\1', 7000)))").eval().unwrap();
        assert_eq!(n, 7000);
    }
}
