//! Reading and writing config values exactly as Redis does: integers
//! (`string2ll`), memory sizes (`memtoull`), quoting (`sdscatrepr`), and the
//! multi-word values (`save`, `client-output-buffer-limit`, `bind`, `replicaof`,
//! `latency-tracking-info-percentiles`).

use std::net::IpAddr;

use super::kinds::{BufferLimit, Percentiles};

/// Redis's `string2ll`: an optional `-`, then digits with no leading zero (or a lone
/// `0`), fitting an `i64`; nothing else (no `+`, no spaces).
pub fn parse_integer(text: &str) -> Option<i64> {
    crate::number::parse_i64(text.as_bytes())
}

/// Redis's `memtoull`: digits with an optional unit `b`, `k` (1000), `kb` (1024),
/// `m`, `mb`, `g`, `gb` (any case). As in Redis, no digits reads as 0, a number too
/// large for 64 bits saturates and the unit multiplies with wrap-around.
pub fn parse_memory(text: &str) -> Option<u64> {
    if text.starts_with('-') {
        return None;
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let value = if digits.is_empty() { 0 } else { digits.parse::<u64>().unwrap_or(u64::MAX) };
    Some(value.wrapping_mul(factor))
}

/// A byte count as `CONFIG REWRITE` writes it: `1gb`, `64mb`, `4kb` when it divides
/// evenly, else plain bytes (Redis's `rewriteConfigFormatMemory`).
pub fn format_memory(bytes: i128) -> String {
    const KB: i128 = 1024;
    for (unit, size) in [("gb", KB * KB * KB), ("mb", KB * KB), ("kb", KB)] {
        if bytes != 0 && bytes % size == 0 {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

/// `yes` or `no`, any case.
pub fn parse_yes_no(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if text.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// Redis's `sdscatrepr`: the text in double quotes, with `\\`, `\"`, `\n`, `\r`,
/// `\t`, `\a`, `\b` and `\xHH` escapes, as `CONFIG REWRITE` writes strings.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for &b in text.as_bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            b' '..=b'~' => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// The words of a config line as `redis-cli` quotes them (`sdssplitargs`), as
/// text; `None` for unbalanced quotes.
pub fn split_words(line: &[u8]) -> Option<Vec<String>> {
    let words = crate::protocol::inline::split_args(line)?;
    Some(words.iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect())
}

/// How `CONFIG SET` splits the value of a multi-word parameter: on every single
/// space, so `""` is no words at all (Redis's `sdssplitlen(value, " ")`).
pub fn split_spaces(value: &str) -> Vec<&str> {
    if value.is_empty() {
        Vec::new()
    } else {
        value.split(' ').collect()
    }
}

/// `save` points: pairs of seconds (at least 1) and changes (at least 0); `""`
/// alone is none.
pub fn parse_save(words: &[&str]) -> Result<Vec<(u64, u64)>, String> {
    let words = if words == [""] { &[][..] } else { words };
    let invalid = || "Invalid save parameters".to_string();
    if words.len() % 2 != 0 {
        return Err(invalid());
    }
    let number = |word: &str, least: i64| match c_integer(word) {
        Some(n) if n >= least => Ok(n as u64),
        _ => Err(invalid()),
    };
    words.chunks(2).map(|pair| Ok((number(pair[0], 1)?, number(pair[1], 0)?))).collect()
}

/// `strtoll` as Redis uses it for `save`: optional space and sign, digits, and
/// nothing after (an empty string reads as 0).
fn c_integer(word: &str) -> Option<i64> {
    let trimmed = word.trim_start();
    let (sign, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (-1, &trimmed[1..]),
        Some(b'+') => (1, &trimmed[1..]),
        _ => (1, trimmed),
    };
    if digits.is_empty() {
        return (trimmed.is_empty()).then_some(0);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(sign * digits.parse::<i64>().unwrap_or(i64::MAX))
}

/// `save` points as `CONFIG GET` shows them: `3600 1 300 100`.
pub fn format_save(points: &[(u64, u64)]) -> String {
    let words: Vec<String> = points.iter().map(|(seconds, changes)| format!("{seconds} {changes}")).collect();
    words.join(" ")
}

/// The client classes of `client-output-buffer-limit`, in Redis's order.
pub const CLIENT_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Parses `<class> <hard> <soft> <seconds>` groups into the limits they change
/// (index into [`CLIENT_CLASSES`]); `replica` means `slave`. All or nothing.
pub fn parse_buffer_limits(words: &[&str]) -> Result<Vec<(usize, BufferLimit)>, String> {
    if words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    let mut out = Vec::new();
    for group in words.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration.".to_string()),
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string();
        let hard = parse_memory(group[1]).ok_or_else(bad)?;
        let soft = parse_memory(group[2]).ok_or_else(bad)?;
        let seconds = c_integer(group[3]).filter(|s| *s >= 0).ok_or_else(bad)?;
        out.push((class, (hard, soft, seconds as u64)));
    }
    Ok(out)
}

/// One `bind` address as FerrumKV listens on it: an IP literal, optionally marked
/// optional with a leading `-`; `*` is every IPv4 address and `::*` every IPv6 one.
pub fn bind_address(word: &str) -> Result<IpAddr, String> {
    let address = word.strip_prefix('-').unwrap_or(word);
    match address {
        "*" => Ok(IpAddr::from([0, 0, 0, 0])),
        "::*" => Ok(IpAddr::from([0u16; 8])),
        _ => address.parse().map_err(|_| format!("'{word}' is not an IP address, '*' or '::*'")),
    }
}

/// `replicaof <host> <port>`, or `no one` for none.
pub fn parse_replicaof(words: &[&str]) -> Result<Option<(String, u16)>, String> {
    let [host, port] = words else { return Err("wrong number of arguments".to_string()) };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(None);
    }
    match c_integer(port) {
        Some(p @ 0..=65535) => Ok(Some((host.to_string(), p as u16))),
        _ => Err("Invalid master port".to_string()),
    }
}

/// `latency-tracking-info-percentiles`: numbers within 0..=100; `""` alone is none.
pub fn parse_percentiles(words: &[&str]) -> Result<Percentiles, String> {
    let words = if words == [""] { &[][..] } else { words };
    let mut out = Vec::with_capacity(words.len());
    for word in words {
        let value: f64 = word
            .parse()
            .ok()
            .filter(|v: &f64| !v.is_nan() && !word.trim().is_empty() && word.trim() == *word)
            .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        if !(0.0..=100.0).contains(&value) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".to_string()
            );
        }
        out.push(value);
    }
    Ok(Percentiles(out))
}

/// An I/O error as `strerror` words it (without Rust's ` (os error N)`).
pub fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_string2ll() {
        assert_eq!(parse_integer("0"), Some(0));
        assert_eq!(parse_integer("-12"), Some(-12));
        assert_eq!(parse_integer("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_integer("-9223372036854775808"), Some(i64::MIN));
        for bad in ["", "-", "-0", "007", "+1", " 1", "1 ", "1.5", "9223372036854775808", "1k"] {
            assert_eq!(parse_integer(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn memory_as_memtoull() {
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("1KB"), Some(1024));
        assert_eq!(parse_memory("64mb"), Some(64 << 20));
        assert_eq!(parse_memory("2Gb"), Some(2 << 30));
        assert_eq!(parse_memory("5b"), Some(5));
        // Redis's quirks: no digits is 0, overflow saturates.
        assert_eq!(parse_memory(""), Some(0));
        assert_eq!(parse_memory("mb"), Some(0));
        assert_eq!(parse_memory("99999999999999999999"), Some(u64::MAX));
        for bad in ["-1", "1.5mb", "1tb", "1 mb", "x"] {
            assert_eq!(parse_memory(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn memory_for_rewrite() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(64 << 20), "64mb");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(3 << 10), "3kb");
        assert_eq!(format_memory(1000), "1000");
    }

    #[test]
    fn quoting_as_sdscatrepr() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("a \"b\"\\\n\x01"), "\"a \\\"b\\\"\\\\\\n\\x01\"");
    }

    #[test]
    fn save_points() {
        assert_eq!(parse_save(&["3600", "1", "300", "100"]).unwrap(), vec![(3600, 1), (300, 100)]);
        assert_eq!(parse_save(&[""]).unwrap(), vec![]);
        assert_eq!(parse_save(&[]).unwrap(), vec![]);
        // As Redis's strtoll: an empty word reads as 0.
        assert_eq!(parse_save(&["1", ""]).unwrap(), vec![(1, 0)]);
        for bad in [&["3600"][..], &["0", "1"], &["1", "-1"], &["x", "1"], &["", "1"]] {
            assert_eq!(parse_save(bad).unwrap_err(), "Invalid save parameters", "{bad:?}");
        }
        assert_eq!(format_save(&[(3600, 1), (300, 100)]), "3600 1 300 100");
    }

    #[test]
    fn buffer_limits() {
        let limits = parse_buffer_limits(&["normal", "1mb", "2mb", "3", "replica", "1", "2", "3"]).unwrap();
        assert_eq!(limits, vec![(0, (1 << 20, 2 << 20, 3)), (1, (1, 2, 3))]);
        assert!(parse_buffer_limits(&["master", "1", "2", "3"])
            .unwrap_err()
            .starts_with("Invalid client class"));
        assert!(parse_buffer_limits(&["normal", "1", "2"]).unwrap_err().starts_with("Wrong number"));
        assert!(parse_buffer_limits(&["normal", "x", "2", "3"]).unwrap_err().starts_with("Error in hard"));
        assert!(parse_buffer_limits(&["normal", "1", "2", "-3"]).unwrap_err().starts_with("Error in hard"));
    }

    #[test]
    fn bind_addresses() {
        assert_eq!(bind_address("127.0.0.1").unwrap(), IpAddr::from([127, 0, 0, 1]));
        assert_eq!(bind_address("-::1").unwrap(), "::1".parse::<IpAddr>().unwrap());
        assert_eq!(bind_address("*").unwrap(), IpAddr::from([0, 0, 0, 0]));
        assert!(bind_address("localhost").is_err());
    }

    #[test]
    fn replicaof_values() {
        assert_eq!(parse_replicaof(&["no", "one"]).unwrap(), None);
        assert_eq!(parse_replicaof(&["10.0.0.1", "6379"]).unwrap(), Some(("10.0.0.1".into(), 6379)));
        assert_eq!(parse_replicaof(&["h", "abc"]).unwrap_err(), "Invalid master port");
        assert_eq!(parse_replicaof(&["h"]).unwrap_err(), "wrong number of arguments");
    }
}
