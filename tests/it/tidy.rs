//! Tidy checks that keep ARCHITECTURE.md's invariants true by construction.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, text)
        })
        .collect()
}

#[test]
fn every_module_says_what_it_holds() {
    for (path, text) in sources() {
        if path.ends_with("/tests.rs") {
            continue;
        }
        assert!(
            text.starts_with("//!"),
            "{path} must start with a //! comment"
        );
    }
}

#[test]
fn layers_only_use_what_they_may() {
    for (path, text) in sources() {
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        if !path.starts_with("src/store/") {
            assert!(
                !code.contains("sled::"),
                "{path} names sled; only src/store/ may"
            );
        }
        if path.starts_with("src/kms/") || path.starts_with("src/crypto/") {
            for banned in ["axum", "tokio", "hyper", "http::"] {
                assert!(!code.contains(banned), "{path} uses {banned}");
            }
        }
        if path.starts_with("src/crypto/") {
            assert!(!code.contains("serde_json"), "{path} uses serde_json");
        }
        if path.starts_with("src/kms/") && !path.ends_with("policies.rs") {
            assert!(!code.contains("serde_json"), "{path} uses serde_json");
        }
        if !path.starts_with("src/api/") {
            assert!(
                !code.contains("\"NotFoundException\""),
                "{path} spells a wire error name; only src/api/error.rs may"
            );
        }
    }
}

#[test]
fn the_dispatch_table_covers_every_implemented_operation() {
    let readme = include_str!("../../README.md");
    for op in kmsd::api::OPERATIONS {
        assert!(readme.contains(op), "README's list misses {op}");
    }
    assert_eq!(kmsd::api::OPERATIONS.len(), 40);
}
