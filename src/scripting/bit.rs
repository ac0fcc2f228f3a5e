//! The `bit` library (LuaBitOp 1.0.2, which Redis bundles): 32-bit bitwise
//! operations on Lua numbers.

use mlua::{Lua, Table, Variadic};

/// A number reduced to a signed 32-bit integer, as LuaBitOp's `tobit` does
/// (rounded, then taken modulo 2^32).
pub fn tobit(n: f64) -> i32 {
    if !n.is_finite() {
        return 0;
    }
    let r = n.round_ties_even().rem_euclid(4294967296.0);
    r as u64 as u32 as i32
}

fn arg(args: &Variadic<f64>, i: usize) -> i32 {
    args.get(i).copied().map(tobit).unwrap_or(0)
}

/// Builds the `bit` table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let bit = lua.create_table()?;
    bit.set("tobit", lua.create_function(|_, n: f64| Ok(tobit(n) as f64))?)?;
    bit.set("bnot", lua.create_function(|_, n: f64| Ok(!tobit(n) as f64))?)?;
    type Fold = fn(i32, i32) -> i32;
    let folds: [(&str, Fold); 3] = [("band", |a, b| a & b), ("bor", |a, b| a | b), ("bxor", |a, b| a ^ b)];
    for (name, op) in folds {
        bit.set(
            name,
            lua.create_function(move |_, args: Variadic<f64>| {
                if args.is_empty() {
                    return Err(mlua::Error::runtime("bad argument #1 (number expected, got no value)"));
                }
                Ok(args.iter().skip(1).fold(tobit(args[0]), |acc, &n| op(acc, tobit(n))) as f64)
            })?,
        )?;
    }
    type Shift = fn(i32, u32) -> i32;
    let shifts: [(&str, Shift); 5] = [
        ("lshift", |a, n| ((a as u32) << n) as i32),
        ("rshift", |a, n| ((a as u32) >> n) as i32),
        ("arshift", |a, n| a >> n),
        ("rol", |a, n| (a as u32).rotate_left(n) as i32),
        ("ror", |a, n| (a as u32).rotate_right(n) as i32),
    ];
    for (name, op) in shifts {
        bit.set(
            name,
            lua.create_function(move |_, args: Variadic<f64>| {
                Ok(op(arg(&args, 0), (arg(&args, 1) & 31) as u32) as f64)
            })?,
        )?;
    }
    bit.set("bswap", lua.create_function(|_, n: f64| Ok((tobit(n) as u32).swap_bytes() as i32 as f64))?)?;
    bit.set(
        "tohex",
        lua.create_function(|_, args: Variadic<f64>| {
            let value = arg(&args, 0) as u32;
            let n = if args.len() > 1 { arg(&args, 1) } else { 8 };
            let upper = n < 0;
            let digits = n.unsigned_abs().min(8) as usize;
            let masked = if digits == 8 { value } else { value & ((1u32 << (4 * digits)) - 1) };
            Ok(if upper { format!("{masked:0digits$X}") } else { format!("{masked:0digits$x}") })
        })?,
    )?;
    Ok(bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_match_luabitop() {
        let lua = Lua::new();
        lua.globals().set("bit", create(&lua).unwrap()).unwrap();
        let eval = |code: &str| lua.load(code).eval::<f64>().unwrap();
        let text = |code: &str| lua.load(code).eval::<String>().unwrap();
        assert_eq!(eval("return bit.tobit(0xffffffff)"), -1.0);
        assert_eq!(eval("return bit.band(0x12345678, 0xff)"), 120.0);
        assert_eq!(eval("return bit.bor(1, 2, 4)"), 7.0);
        assert_eq!(eval("return bit.lshift(1, 31)"), -2147483648.0);
        assert_eq!(eval("return bit.rshift(-1, 28)"), 15.0);
        assert_eq!(eval("return bit.arshift(-256, 4)"), -16.0);
        assert_eq!(text("return bit.tohex(255, 4)"), "00ff");
        assert_eq!(text("return bit.tohex(-1, -8)"), "FFFFFFFF");
        assert_eq!(eval("return bit.bswap(0x12345678)"), 2018915346.0);
    }
}
