//! The README's table of parameters, generated from the registry
//! (`ferrum-kv --print-config-table`); a test keeps README.md in step.

use super::registry::{params, Access, Param};

/// The marker line before the generated table in README.md.
pub const TABLE_BEGIN: &str = "<!-- config-table:begin (generated: `cargo run -- --print-config-table`) -->";
/// The marker line after it.
pub const TABLE_END: &str = "<!-- config-table:end -->";

/// The markdown table of every parameter: flag, key and aliases, default, whether
/// `CONFIG SET` may change it, what it takes, what it means.
pub fn markdown_table() -> String {
    let mut out =
        String::from("| config key | flag | default | live | takes | meaning |\n|---|---|---|---|---|---|\n");
    for param in params() {
        out.push_str(&row(param));
    }
    out
}

/// One row.
fn row(param: &Param) -> String {
    let mut key = format!("`{}`", param.name);
    for alias in param.aliases {
        key.push_str(&format!(" (`{alias}`)"));
    }
    let flag = match param.flag {
        Some(value) => format!("`--{} {}`", param.name, value.replace('|', "\\|")),
        None => String::new(),
    };
    let default = match param.default {
        "" => "`\"\"`".to_string(),
        value => format!("`{value}`"),
    };
    let live = match param.access {
        Access::Live => "yes",
        Access::Immutable => "",
        Access::Protected => "protected",
    };
    let doc = param.doc.replace('|', "\\|");
    format!("| {key} | {flag} | {default} | {live} | {} | {doc} |\n", param.syntax().replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// README.md's table must be the generated one. To regenerate it, run
    /// `FERRUM_BLESS=1 cargo test --lib config::table` (or paste the output of
    /// `cargo run -- --print-config-table` between the markers).
    #[test]
    fn readme_table_is_generated_from_the_registry() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let (Some(begin), Some(end)) = (readme.find(TABLE_BEGIN), readme.find(TABLE_END)) else {
            panic!("README.md lacks the markers {TABLE_BEGIN:?} … {TABLE_END:?}");
        };
        let start = begin + TABLE_BEGIN.len() + 1;
        let table = markdown_table();
        if readme.get(start..end) == Some(table.as_str()) {
            return;
        }
        if std::env::var_os("FERRUM_BLESS").is_some() {
            let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
            std::fs::write(&path, updated).unwrap();
            return;
        }
        panic!(
            "README.md's config table differs from the registry's. Regenerate it with \
             `FERRUM_BLESS=1 cargo test --lib config::table` (or paste the output of \
             `cargo run -- --print-config-table` between the markers)."
        );
    }

    #[test]
    fn every_parameter_is_documented() {
        for param in params() {
            assert!(!param.doc.is_empty(), "{} has no doc line", param.name);
        }
    }
}
