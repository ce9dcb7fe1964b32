//! The paths a Rust source file names, for the layering rules in `tidy.rs`: every `use` tree,
//! expanded, and every path written inline (`crate::kms::Error::from(..)`), with comments,
//! strings and character literals left out. A file's module path resolves `super::`,
//! `self::` and `crate::`, so each path names the module it reaches.

/// One source file under `src/`, as the layering rules see it.
pub struct SourceFile {
    /// Its path from the repository root (`src/kms/keys.rs`).
    pub path: String,
    /// Its module path (`["kms", "keys"]`; `[]` for `lib.rs`).
    pub module: Vec<String>,
    /// Every path it names, resolved to an absolute crate path (starting with the top-level
    /// module) or left as written for an outside crate (`["tokio", "spawn"]`).
    pub paths: Vec<Vec<String>>,
}

impl SourceFile {
    /// Reads `text` as the file at `path` (relative to the repository root).
    pub fn new(path: &str, text: &str) -> SourceFile {
        let module = module_path(path);
        let code = strip_comments_and_literals(text);
        let (uses, rest) = take_use_trees(&code);
        let imported: Vec<(String, Vec<String>)> =
            uses.iter().flat_map(|tree| expand(tree)).collect();
        // A name a `use` brought in, or a `mod` declared here, stands for its full path when
        // code writes `name::item`.
        let mut names: Vec<(String, Vec<String>)> = imported
            .iter()
            .filter_map(|(name, path)| Some((name.clone(), resolve(&module, path.clone())?)))
            .collect();
        names.extend(declared_modules(&rest).into_iter().map(|name| {
            let mut full = module.clone();
            full.push(name.clone());
            (name, full)
        }));
        let mut paths: Vec<Vec<String>> = names.iter().map(|(_, path)| path.clone()).collect();
        // `use hyper;` or `use tokio as rt;` names a whole outside crate in one segment, which
        // `resolve` leaves out as naming nothing outside the file.
        paths.extend(
            imported
                .iter()
                .filter(|(_, path)| {
                    path.len() == 1 && !["self", "super", "crate"].contains(&path[0].as_str())
                })
                .map(|(_, path)| path.clone()),
        );
        for path in inline_paths(&rest) {
            match names.iter().find(|(name, _)| *name == path[0]) {
                Some((_, full)) => paths.push(full.iter().chain(&path[1..]).cloned().collect()),
                None => paths.extend(resolve(&module, path)),
            }
        }
        SourceFile {
            path: path.to_owned(),
            module,
            paths,
        }
    }

    /// The top-level module the file belongs to (`kms`), or `""` for `lib.rs` and `main.rs`.
    pub fn layer(&self) -> &str {
        self.module.first().map_or("", String::as_str)
    }
}

/// `src/kms/keys.rs` → `kms::keys`; `mod.rs` and `lib.rs` name their directory's module.
fn module_path(path: &str) -> Vec<String> {
    let inner = path.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
    if parts
        .last()
        .is_some_and(|last| last == "mod" || last == "lib" || last == "main")
    {
        parts.pop();
    }
    parts
}

/// Makes `path` absolute from the module `module`; `None` for a path that names nothing
/// outside the file (a single segment, `Self::`, a local enum's variants).
fn resolve(module: &[String], path: Vec<String>) -> Option<Vec<String>> {
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path.into_iter().peekable();
    match rest.peek().map(String::as_str) {
        Some("crate") => {
            rest.next();
            base.clear();
        }
        Some("super") => {
            while rest.peek().is_some_and(|s| s == "super") {
                rest.next();
                base.pop();
            }
        }
        Some("self") => {
            rest.next();
        }
        // An outside crate, or a name the file imported: kept as written.
        _ => return Some(rest.collect()).filter(|p: &Vec<String>| p.len() > 1),
    }
    base.extend(rest);
    Some(base)
}

/// The code with comments, string literals and character literals blanked (newlines kept).
fn strip_comments_and_literals(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, from: usize, to: usize| {
        for &b in &bytes[from..to] {
            out.push(if b == b'\n' { '\n' } else { ' ' });
        }
    };
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let end = find(bytes, i + 2, b"*/").map_or(bytes.len(), |n| n + 2);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"r#") || rest.starts_with(b"r\"") {
            let hashes = rest[1..].iter().take_while(|&&b| b == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let closing: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let end =
                find(bytes, i + 2 + hashes, &closing).map_or(bytes.len(), |n| n + closing.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'"' {
            let mut end = i + 1;
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, (end + 1).min(bytes.len()));
            i = end + 1;
        } else if rest[0] == b'\'' && rest.get(1) == Some(&b'\\') {
            let end = find(bytes, i + 2, b"'").map_or(bytes.len(), |n| n + 1);
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'\'' && rest.get(2) == Some(&b'\'') {
            blank(&mut out, i, i + 3);
            i += 3;
        } else {
            // Multi-byte characters are copied whole.
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|n| n + from)
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The trees of the file's `use` items (`super::{Context, Error}`), and the code without them.
fn take_use_trees(code: &str) -> (Vec<String>, String) {
    let bytes = code.as_bytes();
    let mut trees = Vec::new();
    let mut rest = String::with_capacity(code.len());
    let mut i = 0;
    while i < bytes.len() {
        let starts_use = bytes[i..].starts_with(b"use ")
            && (i == 0 || !is_ident(bytes[i - 1]))
            && bytes[..i].last() != Some(&b':');
        if !starts_use {
            rest.push(char::from(bytes[i]));
            i += 1;
            continue;
        }
        let end = bytes[i..]
            .iter()
            .position(|&b| b == b';')
            .map_or(bytes.len(), |n| i + n);
        trees.push(
            code[i + 4..end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        );
        rest.push(' ');
        i = end + 1;
    }
    (trees, rest)
}

/// Every path of a use tree, with the name it is known by: `a::{b, c::{d as e, self}}` →
/// (`b`, `a::b`), (`e`, `a::c::d`), (`c`, `a::c`); a glob `a::*` counts as `a`.
fn expand(tree: &str) -> Vec<(String, Vec<String>)> {
    let tree = tree.trim().trim_start_matches("::");
    let Some(open) = tree.find('{') else {
        let (path, alias) = match tree.split_once(" as ") {
            Some((path, alias)) => (path, Some(alias.trim())),
            None => (tree, None),
        };
        let segments: Vec<String> = path
            .trim_end_matches("::*")
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let name = alias
            .map(str::to_owned)
            .or_else(|| segments.last().cloned())
            .unwrap_or_default();
        return vec![(name, segments)];
    };
    let prefix: Vec<String> = tree[..open]
        .split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut out = Vec::new();
    for part in split_top_level(inner) {
        for (name, mut path) in expand(part) {
            let name = if path.first().is_some_and(|s| s == "self") {
                path.remove(0);
                prefix.last().cloned().unwrap_or(name)
            } else {
                name
            };
            let mut full = prefix.clone();
            full.extend(path);
            out.push((name, full));
        }
    }
    out
}

/// The modules a file declares (`mod rules;`, `pub mod api;`).
fn declared_modules(code: &str) -> Vec<String> {
    let words: Vec<&str> = code.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0] == "mod")
        .filter_map(|w| w[1].strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// The comma-separated items of a brace group, ignoring commas inside nested braces.
fn split_top_level(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// Every `a::b::c` written in code (not in `use` items).
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let mut segments = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < bytes.len() && is_ident(bytes[j]) {
                j += 1;
            }
            segments.push(code[start..j].to_owned());
            if bytes[j..].starts_with(b"::") && bytes.get(j + 2).is_some_and(|&b| is_ident(b)) {
                j += 2;
            } else {
                break;
            }
        }
        if segments.len() > 1 {
            paths.push(segments);
        }
        i = j.max(i + 1);
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::SourceFile;

    fn paths(path: &str, text: &str) -> Vec<String> {
        SourceFile::new(path, text)
            .paths
            .iter()
            .map(|p| p.join("::"))
            .collect()
    }

    #[test]
    fn use_trees_expand_and_resolve_from_the_files_module() {
        let text = "use super::{Context, rules::{self, key_pair_kind}};\n\
                    use crate::model::Key as K;\nuse tokio::sync::*;\n";
        assert_eq!(
            paths("src/kms/keys.rs", text),
            [
                "kms::Context",
                "kms::rules",
                "kms::rules::key_pair_kind",
                "model::Key",
                "tokio::sync"
            ]
        );
        assert_eq!(paths("src/kms/mod.rs", "use super::api::X;"), ["api::X"]);
    }

    #[test]
    fn inline_paths_count_but_comments_strings_and_chars_do_not() {
        let text = "// crate::api::Hidden\n/* crate::server::Hidden */\n\
                    let s = \"crate::store::Hidden\"; let c = '\"'; let r = r#\"crate::x\"#;\n\
                    let e = crate::kms::Error::from(x); tokio::spawn(f);\n";
        assert_eq!(
            paths("src/api/aliases.rs", text),
            ["kms::Error::from", "tokio::spawn"]
        );
    }
}
