//! Tidy checks that keep ARCHITECTURE.md's invariants true by construction.

mod paths;

use std::collections::BTreeSet;
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

/// Every file under `src/` but unit tests, with the paths it names.
fn layered_sources() -> Vec<paths::SourceFile> {
    sources()
        .into_iter()
        .filter(|(path, _)| !path.ends_with("/tests.rs"))
        .map(|(path, text)| paths::SourceFile::new(&path, &text))
        .collect()
}

/// The crate's top-level modules, as `lib.rs` declares them.
fn top_level_modules() -> Vec<String> {
    include_str!("../../src/lib.rs")
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("pub mod ")
                .or(l.trim().strip_prefix("mod "))
        })
        .map(|l| l.trim_end_matches(';').to_owned())
        .collect()
}

/// The top-level module a resolved path reaches, if it is one of the crate's (`lib.rs`
/// re-exports count as their module: `crate::Kms` is `kms`).
fn reached(path: &[String], modules: &[String]) -> Option<String> {
    let first = path.first()?;
    if modules.contains(first) {
        return Some(first.clone());
    }
    match first.as_str() {
        "Kms" => Some("kms".into()),
        "ServeOptions" | "serve" | "serve_with_options" => Some("server".into()),
        _ => None,
    }
}

/// The layering rules of ARCHITECTURE.md, on the paths each file names. Returns every
/// violation, one line each.
fn layering_violations(files: &[paths::SourceFile]) -> Vec<String> {
    let modules = top_level_modules();
    let mut violations = Vec::new();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for file in files {
        let layer = file.layer();
        for path in &file.paths {
            let shown = path.join("::");
            let first = path.first().map_or("", String::as_str);
            if let Some(target) = reached(path, &modules)
                && target != layer
                && !layer.is_empty()
            {
                edges.insert((layer.to_owned(), target.clone()));
                let forbidden = match layer {
                    "store" | "crypto" | "model" | "rsa_pool" => {
                        ["api", "kms", "server", "seed", "store", "rsa_pool", "model"]
                            .contains(&target.as_str())
                            && !(layer == "store" && target == "model")
                            && !(layer == "rsa_pool" && target == "model")
                            && !(layer == "store" && target == "crypto")
                    }
                    "api" => {
                        ["store", "crypto", "rsa_pool", "server", "seed"].contains(&target.as_str())
                    }
                    "kms" => ["api", "server", "seed"].contains(&target.as_str()),
                    "iam" => [
                        "api", "kms", "server", "seed", "store", "crypto", "rsa_pool",
                    ]
                    .contains(&target.as_str()),
                    _ => false,
                };
                if forbidden {
                    violations.push(format!("{} uses {shown}", file.path));
                }
            }
            let synchronous = ["kms", "iam", "crypto", "store", "model"].contains(&layer);
            if synchronous && ["axum", "tokio", "hyper", "http"].contains(&first) {
                violations.push(format!("{} uses {shown}", file.path));
            }
            if layer != "store" && first == "sled" {
                violations.push(format!(
                    "{} names sled ({shown}); only src/store/ may",
                    file.path
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        violations.push(format!(
            "the top-level modules form a cycle: {}",
            cycle.join(" -> ")
        ));
    }
    // Inside `kms`, the operation files share the façade (`mod.rs`) and the key rules
    // (`rules.rs`) and never import each other both ways.
    let mut kms_edges = BTreeSet::new();
    for file in files
        .iter()
        .filter(|f| f.layer() == "kms" && f.module.len() == 2)
    {
        for path in &file.paths {
            if path.len() > 1 && path[0] == "kms" && path[1] != file.module[1] {
                let sibling = &path[1];
                let is_file = files.iter().any(|f| f.module == ["kms", sibling.as_str()]);
                if is_file {
                    kms_edges.insert((file.module[1].clone(), sibling.clone()));
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(&kms_edges) {
        violations.push(format!(
            "files of kms/ import each other: {}",
            cycle.join(" -> ")
        ));
    }
    violations
}

/// A cycle in a directed graph, as the nodes along it, if there is one.
fn find_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeSet<(String, String)>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for (_, next) in edges.iter().filter(|(from, _)| from == node) {
            if let Some(cycle) = visit(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .iter()
        .find_map(|(from, _)| visit(from, edges, &mut Vec::new(), &mut done))
}

#[test]
fn layers_only_use_what_they_may() {
    let violations = layering_violations(&layered_sources());
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_layering_rules_catch_what_they_forbid() {
    let file = |path: &str, text: &str| paths::SourceFile::new(path, text);
    for (files, expected) in [
        (
            vec![file("src/store/x.rs", "use crate::kms::Kms;")],
            "src/store/x.rs uses kms::Kms",
        ),
        (
            vec![file(
                "src/crypto/x.rs",
                "fn f() { crate::api::dispatch(); }",
            )],
            "src/crypto/x.rs uses api::dispatch",
        ),
        (
            vec![file("src/kms/x.rs", "use tokio::task;")],
            "src/kms/x.rs uses tokio::task",
        ),
        (
            vec![file("src/kms/x.rs", "use hyper as http_server;")],
            "src/kms/x.rs uses hyper",
        ),
        (
            vec![file("src/api/x.rs", "use crate::store::Store;")],
            "src/api/x.rs uses store::Store",
        ),
        (
            vec![file("src/api/x.rs", "use crate::crypto::random_bytes;")],
            "src/api/x.rs uses crypto::random_bytes",
        ),
        (
            vec![file("src/model/x.rs", "use crate::kms::Error;")],
            "src/model/x.rs uses kms::Error",
        ),
        (
            vec![file("src/iam/x.rs", "use crate::kms::Context;")],
            "src/iam/x.rs uses kms::Context",
        ),
        (
            vec![file("src/server/x.rs", "use sled::Db;")],
            "src/server/x.rs names sled",
        ),
        (
            vec![
                file("src/seed/x.rs", "use crate::config::X;"),
                file("src/config/x.rs", "use crate::seed::Y;"),
            ],
            "the top-level modules form a cycle",
        ),
        (
            vec![
                file("src/kms/a.rs", "use super::b::f;"),
                file("src/kms/b.rs", "use super::{a, Kms};"),
            ],
            "files of kms/ import each other",
        ),
    ] {
        let violations = layering_violations(&files);
        assert!(
            violations.iter().any(|v| v.starts_with(expected)),
            "{expected:?} not in {violations:?}"
        );
    }
    let allowed = [
        file(
            "src/kms/x.rs",
            "use crate::store::Store; use crate::model::Key;",
        ),
        file(
            "src/api/x.rs",
            "use crate::kms::Kms; use crate::model::KeyRef;",
        ),
        file(
            "src/store/x.rs",
            "use crate::model::Key; use crate::crypto::KeyMaterial;",
        ),
    ];
    assert_eq!(layering_violations(&allowed), Vec::<String>::new());
}

#[test]
fn secrets_json_and_wire_names_stay_where_they_belong() {
    for (path, text) in sources() {
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        // Unit tests may read their known answers from JSON.
        if path.starts_with("src/crypto/") && !path.ends_with("/tests.rs") {
            assert!(!code.contains("serde_json"), "{path} uses serde_json");
        }
        if path.starts_with("src/kms/") {
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
fn nothing_on_the_request_path_keeps_per_thread_state() {
    for (path, text) in sources() {
        if path.ends_with("/tests.rs") {
            continue;
        }
        assert!(
            !text.contains("thread_local!"),
            "{path} keeps per-thread state; a request's state travels in its kms::Context"
        );
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
