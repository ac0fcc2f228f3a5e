//! The `struct` library as Redis bundles it (Roberto Ierusalimschy's
//! `lua_struct.c`): `struct.pack(fmt, …)`, `struct.unpack(fmt, data [, pos])`
//! and `struct.size(fmt)` over C-like layouts.
//!
//! Format options: `>`/`<` big/little endian (little by default, as on the
//! machines Redis runs on), `![n]` maximum alignment (8 by default), `b`/`B`
//! char, `h`/`H` short, `l`/`L` long, `T` size_t, `i[n]`/`I[n]` int of `n`
//! bytes (at most 32), `f` float, `d` double, `x` a zero byte, `c[n]` a
//! fixed-length string (`c0`: the whole string when packing, the previous
//! number's length when unpacking), `s` a zero-terminated string, space
//! ignored. Lowercase integers are signed. The C library's arithmetic is kept
//! where a script could see it: integers wider than 8 bytes carry only 64
//! bits, an unpack past the data is `data string too short`, a bad format is
//! an error naming the option, never a crash.

use mlua::{Lua, MultiValue, Table, Value};

use super::luaarg::{finish, Args, Failure, MAX_C_STACK};

/// The widest integer option (`i32`): lua_struct's `MAXINTSIZE`.
pub const MAX_INT_SIZE: usize = 32;

/// The default maximum alignment for `!`: a double's on x86-64.
const MAX_ALIGN: usize = 8;

/// Builds the `struct` table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    let pack = lua.create_function(|lua, mut values: MultiValue| {
        // lua_struct pushes a nil after the arguments (the mark before its
        // buffer) once it has the format: a missing first value reads as nil.
        if !values.is_empty() {
            values.push_back(Value::Nil);
        }
        finish(lua, pack(lua, &Args { values: &values, function: "pack" }))
    })?;
    table.set("pack", super::checked_multi(lua, pack)?)?;
    let unpack = lua.create_function(|lua, values: MultiValue| {
        finish(lua, unpack(lua, &Args { values: &values, function: "unpack" }))
    })?;
    table.set("unpack", super::checked_multi(lua, unpack)?)?;
    let size = lua.create_function(|lua, values: MultiValue| {
        finish(lua, size(lua, &Args { values: &values, function: "size" }))
    })?;
    table.set("size", super::checked_multi(lua, size)?)?;
    Ok(table)
}

/// Byte order and maximum alignment, changed by the control options.
struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header { little: true, align: 1 }
    }
}

/// A format string read one option at a time (up to its first NUL, as C reads it).
struct Format<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Format<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Format { bytes: &bytes[..end], pos: 0 }
    }

    fn next(&mut self) -> Option<u8> {
        let opt = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(opt)
    }

    /// The decimal number at the cursor, `default` when there is none.
    fn number(&mut self, default: usize) -> Result<usize, Failure> {
        if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: i32 = 0;
        while let Some(&d) = self.bytes.get(self.pos).filter(|d| d.is_ascii_digit()) {
            let d = (d - b'0') as i32;
            if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
                return Err("integral size overflow".into());
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a as usize)
    }

    /// The size of option `opt` (reading its count), 0 for the control options.
    fn size(&mut self, opt: u8) -> Result<usize, Failure> {
        Ok(match opt {
            b'B' | b'b' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'x' => 1,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size > MAX_INT_SIZE {
                    return Err(format!("integral size {size} is larger than limit of {MAX_INT_SIZE}").into());
                }
                size
            }
            _ => 0,
        })
    }

    /// Applies a control option; anything else is an invalid option.
    fn control(&mut self, opt: u8, header: &mut Header, args: &Args<'_>) -> Result<(), Failure> {
        match opt {
            b' ' => {}
            b'>' => header.little = false,
            b'<' => header.little = true,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if a == 0 || a & (a - 1) != 0 {
                    return Err(format!("alignment {a} is not a power of 2").into());
                }
                header.align = a;
            }
            _ => {
                let shown = String::from_utf8_lossy(&[opt]).into_owned();
                return Err(args.error(1, &format!("invalid format option '{shown}'")));
            }
        }
        Ok(())
    }
}

/// The padding that aligns an item of `size` bytes at offset `len` (with the
/// C library's unsigned arithmetic).
fn padding(len: usize, header: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(header.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

fn is_integer_option(opt: u8) -> bool {
    matches!(opt, b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I')
}

fn pack(lua: &Lua, args: &Args<'_>) -> Result<Vec<Value>, Failure> {
    let fmt = args.string(lua, 1)?;
    let mut format = Format::new(&fmt);
    let mut header = Header::default();
    let mut arg = 2;
    let mut out: Vec<u8> = Vec::new();
    while let Some(opt) = format.next() {
        let mut size = format.size(opt)?;
        let pad = padding(out.len(), &header, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            o if is_integer_option(o) => {
                let n = args.number(lua, arg)?;
                arg += 1;
                let mut value = c_to_unsigned(n);
                let mut bytes = [0u8; MAX_INT_SIZE];
                for b in bytes.iter_mut().take(size) {
                    *b = value as u8;
                    value >>= 8;
                }
                let bytes = &mut bytes[..size];
                if !header.little {
                    bytes.reverse();
                }
                out.extend_from_slice(bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = args.number(lua, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if header.little { f.to_le_bytes() } else { f.to_be_bytes() });
            }
            b'd' => {
                let d = args.number(lua, arg)?;
                arg += 1;
                out.extend_from_slice(&if header.little { d.to_le_bytes() } else { d.to_be_bytes() });
            }
            b'c' | b's' => {
                let s = args.string(lua, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // lua_struct names the argument after the string.
                    return Err(args.error(arg, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => format.control(opt, &mut header, args)?,
        }
    }
    Ok(vec![Value::String(lua.create_string(&out)?)])
}

/// C's `(unsigned long)` of a Lua number as x86-64 computes it: a negative one
/// through the signed type, one past `i64` by the compiler's subtract-and-flip,
/// so that both wrap as they do in Redis.
fn c_to_unsigned(n: f64) -> u64 {
    use super::convert::truncate;
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if n < TWO_63 || n.is_nan() {
        truncate(n) as u64
    } else {
        (truncate(n - TWO_63) as u64) ^ (1 << 63)
    }
}

/// An integer of `bytes` (already in big-endian order), sign-extended when
/// `signed`; only the low 64 bits of a wider one survive, as in C.
fn integer(bytes: &[u8], signed: bool) -> f64 {
    let l = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
    if !signed {
        return l as f64;
    }
    // C shifts by `size*8 - 1`, which x86 takes modulo 64.
    let mask = u64::MAX.wrapping_shl((bytes.len() as u32 * 8).wrapping_sub(1));
    let l = if l & mask != 0 { l | mask } else { l };
    l as i64 as f64
}

fn unpack(lua: &Lua, args: &Args<'_>) -> Result<Vec<Value>, Failure> {
    let fmt = args.string(lua, 1)?;
    let data = args.string(lua, 2)?;
    // C reads the position into a size_t: a negative one wraps past the data.
    let pos = args.opt_integer(lua, 3, 1)? as u64 as usize;
    if pos == 0 {
        return Err(args.error(3, "offset must be 1 or greater"));
    }
    let mut pos = pos - 1;
    let ld = data.len();
    let mut format = Format::new(&fmt);
    let mut header = Header::default();
    let mut values: Vec<Value> = Vec::new();
    let too_short = || args.error(2, "data string too short");
    while let Some(opt) = format.next() {
        let mut size = format.size(opt)?;
        pos = pos.wrapping_add(padding(pos, &header, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short());
        }
        if args.values.len() + values.len() + 2 > MAX_C_STACK {
            return Err("stack overflow (too many results)".into());
        }
        match opt {
            o if is_integer_option(o) => {
                let mut bytes = data[pos..pos + size].to_vec();
                if header.little {
                    bytes.reverse();
                }
                values.push(Value::Number(integer(&bytes, o.is_ascii_lowercase())));
            }
            b'x' => {}
            b'f' => {
                let raw: [u8; 4] = data[pos..pos + 4].try_into().expect("4 bytes");
                let f = if header.little { f32::from_le_bytes(raw) } else { f32::from_be_bytes(raw) };
                values.push(Value::Number(f as f64));
            }
            b'd' => {
                let raw: [u8; 8] = data[pos..pos + 8].try_into().expect("8 bytes");
                let d = if header.little { f64::from_le_bytes(raw) } else { f64::from_be_bytes(raw) };
                values.push(Value::Number(d));
            }
            b'c' => {
                if size == 0 {
                    let previous = values.last().cloned().map(|v| lua.coerce_number(v));
                    let Some(Ok(Some(n))) = previous else {
                        return Err("format 'c0' needs a previous size".into());
                    };
                    values.pop();
                    size = n as usize;
                    if size > ld || pos > ld - size {
                        return Err(too_short());
                    }
                }
                let s = lua.create_string(&data[pos..pos + size])?;
                values.push(Value::String(s));
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err("unfinished string in data".into());
                };
                let s = lua.create_string(&data[pos..pos + end])?;
                values.push(Value::String(s));
                size = end + 1;
            }
            _ => format.control(opt, &mut header, args)?,
        }
        pos += size;
    }
    values.push(Value::Number((pos + 1) as f64));
    Ok(values)
}

fn size(lua: &Lua, args: &Args<'_>) -> Result<Vec<Value>, Failure> {
    let fmt = args.string(lua, 1)?;
    let mut format = Format::new(&fmt);
    let mut header = Header::default();
    let mut pos: usize = 0;
    while let Some(opt) = format.next() {
        let size = format.size(opt)?;
        pos = pos.wrapping_add(padding(pos, &header, opt, size));
        if opt == b's' {
            return Err(args.error(1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(args.error(1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            format.control(opt, &mut header, args)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(vec![Value::Number(pos as f64)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripting::luaarg::testing::{self, error_of};

    fn lua() -> Lua {
        testing::lua_with("struct", create)
    }

    fn hex(lua: &Lua, args: &str) -> String {
        testing::hex(lua, &format!("struct.pack({args})"))
    }

    #[test]
    fn packs_as_lua_struct() {
        let lua = lua();
        assert_eq!(hex(&lua, "'>I2', 258"), "0102");
        assert_eq!(hex(&lua, "'<i4', -2"), "feffffff");
        assert_eq!(hex(&lua, "'>bhb', 1, 2, 3"), "01000203");
        assert_eq!(hex(&lua, "'!4 b i4', 1, 2"), "0100000002000000");
        assert_eq!(hex(&lua, "'c0s', 'ab', 'cd'"), "6162636400");
        assert_eq!(hex(&lua, "'c3', 'abcdef'"), "616263");
        assert_eq!(hex(&lua, "'>d', 1.5"), "3ff8000000000000");
        assert_eq!(hex(&lua, "'>f', 1.5"), "3fc00000");
        assert_eq!(hex(&lua, "'xB', 255"), "00ff");
        assert_eq!(hex(&lua, "'<i10', -1"), "ffffffffffffffff0000");
    }

    #[test]
    fn unpacks_as_lua_struct() {
        let lua = lua();
        let ok: bool = lua
            .load(
                r#"
                local a, b, c, nxt = struct.unpack('>bHl', struct.pack('>bHl', -3, 65535, -70000))
                assert(a == -3 and b == 65535 and c == -70000 and nxt == 12)
                local s, t, n = struct.unpack('sB', 'hello\0\7')
                assert(s == 'hello' and t == 7 and n == 8)
                local str, p = struct.unpack('Bc0', '\3abcd')
                assert(str == 'abc' and p == 5)
                local x, q = struct.unpack('B', 'abc', 3)
                assert(x == 99 and q == 4)
                local f = struct.unpack('<f', struct.pack('<f', 0.25))
                assert(f == 0.25)
                assert(struct.size('>!4 b i4 d') == 16)
                assert(struct.size('bhlTfdxc5') == 37)
                return true
            "#,
            )
            .eval()
            .unwrap();
        assert!(ok);
    }

    #[test]
    fn bad_formats_and_data_are_errors() {
        let lua = lua();
        let cases = [
            ("struct.pack('q', 1)", "bad argument #1 to 'pack' (invalid format option 'q')"),
            ("struct.pack('i33', 1)", "integral size 33 is larger than limit of 32"),
            ("struct.pack('i99999999999', 1)", "integral size overflow"),
            ("struct.pack('!3')", "alignment 3 is not a power of 2"),
            ("struct.pack('i')", "bad argument #2 to 'pack' (number expected, got nil)"),
            ("struct.pack('ii', 1)", "bad argument #3 to 'pack' (number expected, got nil)"),
            ("struct.pack('iii', 1, 2)", "bad argument #4 to 'pack' (number expected, got nil)"),
            ("struct.pack()", "bad argument #1 to 'pack' (string expected, got no value)"),
            ("struct.pack('c5', 'ab')", "bad argument #3 to 'pack' (string too short)"),
            ("struct.unpack('i4', 'ab')", "bad argument #2 to 'unpack' (data string too short)"),
            ("struct.unpack('B', 'a', 0)", "bad argument #3 to 'unpack' (offset must be 1 or greater)"),
            ("struct.unpack('B', 'a', -5)", "data string too short"),
            ("struct.unpack('c0', 'a')", "format 'c0' needs a previous size"),
            ("struct.unpack('Bc0', '\\255a')", "data string too short"),
            ("struct.unpack('s', 'abc')", "unfinished string in data"),
            ("struct.size('s')", "bad argument #1 to 'size' (option 's' has no fixed size)"),
            ("struct.size('c0')", "option 'c0' has no fixed size"),
            ("struct.size('?')", "invalid format option '?'"),
            ("struct.unpack(string.rep('B', 9000), string.rep('a', 9000))", "stack overflow"),
        ];
        for (code, expected) in cases {
            let error = error_of(&lua, code);
            assert!(error.contains(expected), "{code}: {error}");
        }
        // Wide integers keep 64 bits; no format reads past the data.
        let n: f64 = lua.load("return (struct.unpack('<i16', string.rep('\\255', 16)))").eval().unwrap();
        assert_eq!(n, -1.0);
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any format over any data, and any bytes to `cmsgpack.unpack`:
        /// a value or a Lua error, never a panic or a hang.
        #[test]
        fn random_formats_and_payloads_never_panic(
            fmt in proptest::collection::vec(prop::sample::select(b"<>!  bBhHlLTiIfdxcs0123456789q".to_vec()), 0..24),
            data in proptest::collection::vec(any::<u8>(), 0..64),
            pos in -3i64..70,
        ) {
            let lua = mlua::Lua::new();
            lua.globals().set("struct", super::create(&lua).unwrap()).unwrap();
            lua.globals().set("cmsgpack", crate::scripting::cmsgpack::create(&lua).unwrap()).unwrap();
            let f = lua.create_string(&fmt).unwrap();
            let d = lua.create_string(&data).unwrap();
            let run = lua
                // The unpacks' many results go to a Lua frame: Lua 5.1's own
                // `pcall` pushes its status past a C function's results without
                // checking the stack, which only its debug-build API check
                // (on in tests) trips over.
                .load("local f, d, p = ... \
                       local function n(...) return select('#', ...) end \
                       pcall(function() return n(struct.unpack(f, d, p)) end) pcall(struct.size, f) \
                       pcall(struct.pack, f, 1, 2, 'abc', 4, 5) \
                       pcall(function() return n(cmsgpack.unpack(d)) end) \
                       pcall(function() return n(cmsgpack.unpack_limit(d, 3, p)) end)")
                .into_function()
                .unwrap();
            prop_assert!(run.call::<()>((f, d, pos)).is_ok());
        }
    }
}
