//! Splitting an inline command line into arguments, as Redis's `sdssplitargs` does:
//! words separated by white space, `"double quotes"` with C-style escapes (`\n`, `\r`,
//! `\t`, `\b`, `\a`, `\\`, `\"`, `\xHH`) and `'single quotes'` with `\'`.

/// Splits `line` into arguments; `None` for unbalanced quotes (or a closing quote
/// followed by something other than white space), which Redis reports as
/// `Protocol error: unbalanced quotes in request`.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i == line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            if in_double {
                let c = *line.get(i)?;
                if c == b'\\' && i + 3 < line.len() && line[i + 1] == b'x' {
                    if let (Some(h), Some(l)) = (hex(line[i + 2]), hex(line[i + 3])) {
                        current.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < line.len() {
                    current.push(match line[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    // The closing quote must be followed by a space or nothing.
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    current.push(c);
                    i += 1;
                }
            } else if in_single {
                let c = *line.get(i)?;
                if c == b'\\' && i + 1 < line.len() && line[i + 1] == b'\'' {
                    current.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    current.push(c);
                    i += 1;
                }
            } else {
                match line.get(i) {
                    None => break,
                    Some(&c) if is_space(c) => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(&c) => current.push(c),
                }
                i += 1;
            }
        }
        args.push(current);
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::split_args;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes())
            .map(|v| v.into_iter().map(|a| String::from_utf8_lossy(&a).into_owned()).collect())
    }

    #[test]
    fn splits_on_white_space() {
        assert_eq!(split("  set  a b "), Some(vec!["set".into(), "a".into(), "b".into()]));
        assert_eq!(split(""), Some(vec![]));
    }

    #[test]
    fn handles_quotes_and_escapes() {
        assert_eq!(split(r#"set "a b" 'c d'"#), Some(vec!["set".into(), "a b".into(), "c d".into()]));
        assert_eq!(split(r#""\x41\n""#), Some(vec!["A\n".into()]));
        assert_eq!(split(r"'it\'s'"), Some(vec!["it's".into()]));
        assert_eq!(split(r#""""#), Some(vec!["".into()]));
    }

    #[test]
    fn rejects_unbalanced_quotes() {
        assert_eq!(split(r#"set "a"#), None);
        assert_eq!(split("set 'a"), None);
        assert_eq!(split(r#"set "a"b"#), None);
    }
}
