//! Numbers in Redis's text forms, shared by every room (the parser, the engine's
//! counters, the commands): the lowest room, depending on nothing.

/// Parses a decimal `i64` exactly as Redis's `string2ll` does: an optional `-`, then
/// digits without a leading zero (except `0` itself), no sign `+`, no spaces.
pub fn parse_i64(digits: &[u8]) -> Option<i64> {
    let (negative, digits) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    match digits {
        [] => return None,
        [b'0'] => return (!negative).then_some(0),
        [b'0', ..] => return None,
        _ => {}
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let digit = (d - b'0') as i64;
        value = value.checked_mul(10)?;
        value = if negative { value.checked_sub(digit)? } else { value.checked_add(digit)? };
    }
    Some(value)
}
