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
        // Unit tests may read their known answers from JSON.
        if path.starts_with("src/crypto/") && !path.ends_with("/tests.rs") {
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
fn readme_lists_every_implemented_operation() {
    let readme = include_str!("../../README.md");
    let implemented = kmsd::model::Operation::ALL
        .iter()
        .filter(|op| kmsd::api::decoder(**op).is_some());
    for op in implemented {
        assert!(readme.contains(op.as_str()), "README's list misses {op}");
    }
}

/// The Dockerfile's stages, each as its instruction lines (comments and blank lines dropped).
fn dockerfile_stages() -> Vec<Vec<&'static str>> {
    let mut stages: Vec<Vec<&str>> = Vec::new();
    for line in include_str!("../../Dockerfile").lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("FROM ") {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .expect("the Dockerfile starts with FROM")
            .push(line);
    }
    stages
}

/// `docker/smoke.sh` tests the offline stage; the default one, whose Rust builder needs the
/// network, must configure the same image around the same binary.
#[test]
fn the_dockerfile_builds_offline_first_and_both_runtime_stages_agree() {
    let dockerfile = include_str!("../../Dockerfile");
    assert!(
        !dockerfile.to_lowercase().contains("# syntax="),
        "a # syntax= line makes BuildKit pull a frontend"
    );
    let stages = dockerfile_stages();
    let offline = &stages[0];
    let runtime = stages.last().unwrap();
    assert_eq!(offline[0], "FROM scratch AS offline");
    assert_eq!(runtime[0], "FROM scratch");
    let without_binary = |stage: &[&'static str]| -> Vec<&'static str> {
        stage[1..]
            .iter()
            .copied()
            .filter(|line| !(line.starts_with("COPY ") && line.ends_with(" /kmsd")))
            .collect()
    };
    assert_eq!(without_binary(offline), without_binary(runtime));
    assert_eq!(offline.len(), runtime.len(), "each copies one binary");
    for needle in [
        "USER 65532:65532",
        "VOLUME /data",
        "EXPOSE 8080",
        "STOPSIGNAL SIGTERM",
        r#"ENTRYPOINT ["/kmsd"]"#,
        r#"CMD ["serve"]"#,
    ] {
        assert!(offline.contains(&needle), "{needle}");
    }
    assert!(
        offline.iter().any(
            |l| l.starts_with("HEALTHCHECK ") && l.ends_with(r#"CMD ["/kmsd", "healthcheck"]"#)
        )
    );
}
