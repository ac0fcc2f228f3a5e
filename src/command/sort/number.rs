//! How `SORT` reads a number: as C's `strtod` does, for the elements and the
//! `BY` values of a numeric sort.

/// A number as Redis's SORT reads it with `strtod` (leading space allowed, the
/// text up to a NUL, an empty text is 0); `None` for what it refuses (trailing
/// text, NaN, out of range).
pub fn sort_number(text: &[u8]) -> Option<f64> {
    let text = text.split(|&b| b == 0).next().unwrap_or(b"");
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let body = std::str::from_utf8(&text[start..]).ok()?;
    let (sign, digits) = match body.as_bytes().first() {
        Some(b'-') => (-1.0, &body[1..]),
        Some(b'+') => (1.0, &body[1..]),
        _ => (1.0, body),
    };
    let lower = digits.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x").filter(|h| !h.is_empty()) {
        u128::from_str_radix(hex, 16).ok()? as f64
    } else {
        if lower.starts_with("nan") || lower.starts_with('+') || lower.starts_with('-') {
            return None;
        }
        lower.parse::<f64>().ok()?
    };
    let is_inf_word = lower == "inf" || lower == "infinity";
    if value.is_infinite() && !is_inf_word {
        return None;
    }
    if value != 0.0 && value.abs() < f64::MIN_POSITIVE {
        return None;
    }
    if value == 0.0 && lower.split('e').next().unwrap_or("").bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        return None;
    }
    Some(sign * value)
}

#[cfg(test)]
mod tests {
    use super::sort_number;

    #[test]
    fn numbers_read_as_strtod() {
        assert_eq!(sort_number(b""), Some(0.0));
        assert_eq!(sort_number(b" 1.5"), Some(1.5));
        assert_eq!(sort_number(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(sort_number(b"0x10"), Some(16.0));
        assert_eq!(sort_number(b"1\0x"), Some(1.0));
        for bad in ["nan", "1e400", "1e-400", "1 ", "x", " ", "--1"] {
            assert_eq!(sort_number(bad.as_bytes()), None, "{bad}");
        }
    }
}
