//! Glob-style matching with Redis's semantics (`KEYS`, `SCAN MATCH`, `CONFIG GET`):
//! `*` any run, `?` any byte, `[abc]`, `[^abc]`, `[a-z]` classes, `\x` a literal `x`.
//!
//! Iterative, without recursion, remembering only the last `*` to fall back to:
//! a pattern cannot blow the stack (CVE-2024-31228) or backtrack exponentially
//! (CVE-2022-36021); the work is bounded by pattern length × string length.
//!
//! Redis's `stringmatchlen` quirks are kept: the empty string matches only the
//! empty pattern (`KEYS *` and `SCAN MATCH *` list the empty key because they skip
//! matching for a lone `*`, not because `*` matches it), and in a class `a-]` is a
//! range up to `]`.

/// Whether `string` matches `pattern`.
pub fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    if string.is_empty() {
        return pattern.is_empty();
    }
    let (mut p, mut s) = (0usize, 0usize);
    // Where to resume after the last `*`: the pattern just past it, and the next
    // string position that star would swallow.
    let mut star: Option<(usize, usize)> = None;
    while s < string.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, s));
                    continue;
                }
                b'?' => {
                    p += 1;
                    s += 1;
                    continue;
                }
                b'[' => {
                    let (matched, next) = match_class(pattern, p, string[s]);
                    if matched {
                        p = next;
                        s += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == string[s] {
                        p += 2;
                        s += 1;
                        continue;
                    }
                }
                c => {
                    if c == string[s] {
                        p += 1;
                        s += 1;
                        continue;
                    }
                }
            }
        }
        // Mismatch: let the last star swallow one more byte, or fail.
        match star {
            Some((star_p, star_s)) => {
                p = star_p;
                s = star_s + 1;
                star = Some((star_p, s));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the class starting at `pattern[start] == b'['`; returns
/// whether it matched and the pattern position after the class. An unterminated
/// class ends at the end of the pattern, as in Redis.
fn match_class(pattern: &[u8], start: usize, c: u8) -> (bool, usize) {
    let mut p = start + 1;
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut matched = false;
    while p < pattern.len() && pattern[p] != b']' {
        if pattern[p] == b'\\' && p + 1 < pattern.len() {
            matched |= pattern[p + 1] == c;
            p += 2;
        } else if p + 2 < pattern.len() && pattern[p + 1] == b'-' {
            let (lo, hi) = (pattern[p].min(pattern[p + 2]), pattern[p].max(pattern[p + 2]));
            matched |= (lo..=hi).contains(&c);
            p += 3;
        } else {
            matched |= pattern[p] == c;
            p += 1;
        }
    }
    let next = if p < pattern.len() { p + 1 } else { p };
    (matched != negate, next)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes())
    }

    #[test]
    fn redis_glob_semantics() {
        assert!(!m("*", ""), "stringmatchlen: the empty string matches only the empty pattern");
        assert!(!m("**", ""));
        assert!(m("", ""));
        assert!(m("a*", "a"));
        assert!(m("k[1-]", "k2") && m("k[1-]", "k]") && !m("k[1-]", "k-"), "a-] is a range up to ]");
        assert!(m("k[^1-]", "k-") && !m("k[^1-]", "k2"));
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("save", "save"));
        assert!(!m("save", "saved"));
        assert!(m("*a*b", "xxaxxb"));
        assert!(!m("*a*b", "xxaxxbc"));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let pattern = "*?".repeat(50_000);
        let key = "a".repeat(50_000);
        assert!(glob_match(pattern.as_bytes(), key.as_bytes()));
        let pattern = format!("{}b", "a*".repeat(100));
        assert!(!glob_match(pattern.as_bytes(), "a".repeat(10_000).as_bytes()));
    }
}
