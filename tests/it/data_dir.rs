//! The data dir on disk: its permissions, deleted keys leaving nothing behind (compaction at a
//! clean stop and `kmsd compact`), and the commands that read it (`export`, `seed`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use base64::Engine;

use crate::support::logged::{self, Logged};
use crate::support::process::KMSD;
use crate::support::{check_error, client_at};

const K_GONE: &str = "11111111-1111-4111-8111-111111111111";
const K_KEPT: &str = "22222222-2222-4222-8222-222222222222";
const GONE_MATERIAL: [u8; 32] = [0xA5; 32];
const KEPT_MATERIAL: [u8; 32] = [0x5A; 32];

/// A seed file with two symmetric keys of known material.
fn seed_file(dir: &Path) -> PathBuf {
    let hex = |m: &[u8]| m.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let path = dir.join("seed.yaml");
    std::fs::write(
        &path,
        format!(
            "Keys:\n  - KeyId: {K_GONE}\n    KeyMaterial: {}\n  - KeyId: {K_KEPT}\n    KeyMaterial: {}\n",
            hex(&GONE_MATERIAL),
            hex(&KEPT_MATERIAL)
        ),
    )
    .unwrap();
    path
}

/// The files under `dir` that hold `material` in any form kmsd could write it (raw, base64,
/// hex).
fn files_holding(dir: &Path, material: &[u8]) -> Vec<PathBuf> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(material);
    let hex: String = material.iter().map(|b| format!("{b:02x}")).collect();
    let needles = [material.to_vec(), b64.into_bytes(), hex.into_bytes()];
    walk(dir)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap();
            needles
                .iter()
                .any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()))
        })
        .collect()
}

/// Every file under `dir`, and every directory (when `dirs`).
fn walk_all(dir: &Path, dirs: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if dirs {
                out.push(path.clone());
            }
            out.extend(walk_all(&path, dirs));
        } else {
            out.push(path);
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    walk_all(dir, false)
}

fn serve(cwd: &Path, data: &Path, extra: &[&str]) -> Logged {
    let mut args = vec![
        "--data-dir",
        data.to_str().unwrap(),
        "--port",
        "0",
        "--rsa-pool-size",
        "0",
    ];
    args.extend_from_slice(extra);
    logged::start(cwd, &args, &[])
}

/// Runs `kmsd args` to completion; returns its exit code, stdout and stderr.
fn kmsd(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(KMSD)
        .args(args)
        .current_dir(cwd)
        .env_remove("KMS_DATA_PATH")
        .env_remove("KMS_ADMIN_TOKEN")
        .env_remove("KMS_ACCOUNT_ID")
        .env_remove("KMS_REGION")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_key_leaves_nothing_in_the_data_dir_once_kmsd_stops() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seed = seed_file(dir.path());
    let server = serve(dir.path(), &data, &["--seed", seed.to_str().unwrap()]);
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let blob = client
        .encrypt()
        .key_id(K_KEPT)
        .plaintext(Blob::new(b"kept".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    client
        .schedule_key_deletion()
        .key_id(K_GONE)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let status = logged::post_json(
        &server.addr,
        "/_kmsd/clock/advance",
        r#"{"seconds": 691200}"#,
    );
    assert_eq!(status, 200);
    // The key is gone from kmsd, but not yet from sled's log: this is what compaction is for.
    check_error(
        client.describe_key().key_id(K_GONE).send().await,
        "NotFoundException",
    );
    assert!(
        !files_holding(&data, &GONE_MATERIAL).is_empty(),
        "sled no longer keeps deleted records: this test must show the problem some other way"
    );
    let (status, lines) = server.stop();
    assert!(status.success());
    assert!(
        lines.iter().any(|l| l.contains("compacted the data dir")),
        "{lines:?}"
    );
    assert_eq!(files_holding(&data, &GONE_MATERIAL), Vec::<PathBuf>::new());
    assert!(!files_holding(&data, &KEPT_MATERIAL).is_empty());

    // What is left works: the kept key decrypts, the deleted one stays deleted.
    let server = serve(dir.path(), &data, &[]);
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let plain = client
        .decrypt()
        .ciphertext_blob(blob)
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap();
    assert_eq!(plain.as_ref(), b"kept");
    check_error(
        client.describe_key().key_id(K_GONE).send().await,
        "NotFoundException",
    );
    // A stop without deletions leaves the data dir as it is.
    let (status, lines) = server.stop();
    assert!(status.success());
    assert!(!lines.iter().any(|l| l.contains("compacted")), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_leaves_nothing_in_the_data_dir_once_kmsd_stops() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seed = seed_file(dir.path());
    // `--seed` would put the keys back at the next start: seed with the command instead.
    let (code, _, stderr) = kmsd(
        dir.path(),
        &[
            "seed",
            seed.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let server = serve(dir.path(), &data, &[]);
    assert_eq!(logged::post_json(&server.addr, "/_kmsd/reset", ""), 200);
    let (status, _) = server.stop();
    assert!(status.success());
    for material in [GONE_MATERIAL, KEPT_MATERIAL] {
        assert_eq!(files_holding(&data, &material), Vec::<PathBuf>::new());
    }
    let server = serve(dir.path(), &data, &[]);
    assert!(
        server.lines.iter().any(|l| l.contains("keys=0")),
        "{:?}",
        server.lines
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kmsd_compact_cleans_a_data_dir_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seed = seed_file(dir.path());
    let data_arg = data.to_str().unwrap();
    let server = serve(dir.path(), &data, &["--seed", seed.to_str().unwrap()]);
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    client
        .schedule_key_deletion()
        .key_id(K_GONE)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        logged::post_json(
            &server.addr,
            "/_kmsd/clock/advance",
            r#"{"seconds": 691200}"#
        ),
        200
    );
    // While it runs, the data dir is its own.
    let (code, _, stderr) = kmsd(dir.path(), &["compact", "--data-dir", data_arg]);
    assert_ne!(code, 0);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("a running kmsd"), "{stderr}");
    server.kill_hard();
    assert!(!files_holding(&data, &GONE_MATERIAL).is_empty());

    let (code, stdout, stderr) = kmsd(dir.path(), &["compact", "--data-dir", data_arg]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(&format!("compacted {data_arg}")),
        "{stdout}"
    );
    assert_eq!(files_holding(&data, &GONE_MATERIAL), Vec::<PathBuf>::new());
    assert!(!files_holding(&data, &KEPT_MATERIAL).is_empty());
    // A second compaction keeps everything too.
    assert_eq!(kmsd(dir.path(), &["compact", "--data-dir", data_arg]).0, 0);
    let server = serve(dir.path(), &data, &[]);
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    crate::support::metadata(&client, K_KEPT).await;
    check_error(
        client.describe_key().key_id(K_GONE).send().await,
        "NotFoundException",
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_dir_and_every_file_kmsd_writes_are_its_owners_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("data");
    let audit = dir.path().join("audit.jsonl");
    let server = logged::start_after(
        "umask 022",
        dir.path(),
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--port",
            "0",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
        &[],
    );
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let key = crate::support::create_key(&client).await;
    client
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(logged::post_json(&server.addr, "/_kmsd/reset", ""), 200);
    server.stop();
    // A compaction ran at the stop: its generation directory is covered too.
    for path in [dir.path().join("new"), data.clone()]
        .into_iter()
        .chain(walk_all(&data, true))
    {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), expected, "{}", path.display());
    }
    assert_eq!(mode(&audit), 0o600);

    let export = dir.path().join("export.yaml");
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(KMSD)
        .args([
            "export",
            "--data-dir",
            data.to_str().unwrap(),
            "-o",
            export.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&export), 0o600);
}

#[test]
fn a_data_dir_whose_files_others_may_read_is_a_warning_not_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A data dir as kmsd wrote it before its files were its owner's only.
    let seed = seed_file(dir.path());
    let (code, _, stderr) = kmsd(
        dir.path(),
        &[
            "seed",
            seed.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = data.join("db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut server = serve(dir.path(), &data, &[]);
    let warning = server.until("other users may read");
    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains(db.to_str().unwrap()) && warning.contains("644"),
        "{warning}"
    );
    server.stop();
    assert_eq!(mode(&data), 0o755);
    assert_eq!(mode(&db), 0o644);

    // A dir others may write is a warning whatever its files.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut server = serve(dir.path(), &data, &[]);
    let warning = server.until("other users may change the data dir");
    assert!(warning.contains("777"), "{warning}");
    server.stop();

    // A dir others may only list, as Docker makes the image's /data, holding files that are
    // kmsd's own only, exposes nothing: no warning.
    let listed = dir.path().join("listed");
    std::fs::create_dir(&listed).unwrap();
    std::fs::set_permissions(&listed, std::fs::Permissions::from_mode(0o755)).unwrap();
    for _ in 0..2 {
        let mut server = serve(dir.path(), &listed, &[]);
        assert_eq!(logged::kms_call(&server.addr, "CreateKey", "{}"), 200);
        server.until_without("op=CreateKey", "other users may");
        server.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_seed_against_a_running_servers_data_dir_say_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seed = seed_file(dir.path());
    let server = serve(dir.path(), &data, &[]);
    let data_arg = data.to_str().unwrap();
    for (args, hint) in [
        (
            vec!["export", "--data-dir", data_arg],
            "kmsd export --endpoint",
        ),
        (
            vec!["seed", seed.to_str().unwrap(), "--data-dir", data_arg],
            "--seed",
        ),
    ] {
        let (code, _, stderr) = kmsd(dir.path(), &args);
        assert_ne!(code, 0, "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("a running kmsd is using it"), "{stderr}");
        assert!(stderr.contains(hint), "{stderr}");
        assert!(
            !stderr.contains("Resource temporarily unavailable"),
            "{stderr}"
        );
    }
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_a_running_server_is_the_data_dirs_export_and_filters_by_scope() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = serve(dir.path(), &data, &["--admin-token", "t0k3n"]);
    let home =
        crate::support::create_key(&client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE"))
            .await;
    let eu = crate::support::create_key(&client_at(&server.endpoint(), "eu-west-1", "AKIDEXAMPLE"))
        .await;
    let other =
        crate::support::create_key(&client_at(&server.endpoint(), "us-east-1", "111122223333"))
            .await;
    let endpoint = server.endpoint();
    let export = |extra: &[&str]| {
        let mut args = vec!["export", "--endpoint", &endpoint, "--admin-token", "t0k3n"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = kmsd(dir.path(), &args);
        assert_eq!(code, 0, "{extra:?}: {stderr}");
        stdout
    };
    let everything = export(&[]);
    for key in [&home, &eu, &other] {
        assert!(everything.contains(key.as_str()), "{everything}");
    }
    let eu_only = export(&["--region", "eu-west-1"]);
    assert!(
        eu_only.contains(eu.as_str())
            && !eu_only.contains(home.as_str())
            && !eu_only.contains(other.as_str())
    );
    let other_only = export(&["--account-id", "111122223333"]);
    assert!(
        other_only.contains(other.as_str())
            && !other_only.contains(home.as_str())
            && !other_only.contains(eu.as_str())
    );
    let none = export(&["--account-id", "111122223333", "--region", "eu-west-1"]);
    assert!(!none.contains(other.as_str()) && !none.contains(eu.as_str()));

    // Without the token: one line that says why.
    let (code, _, stderr) = kmsd(dir.path(), &["export", "--endpoint", &endpoint]);
    assert_ne!(code, 0);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("401") && stderr.contains("--admin-token"),
        "{stderr}"
    );
    let (code, _, stderr) = kmsd(
        dir.path(),
        &["export", "--endpoint", &endpoint, "--account-id", "12"],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("--account-id"), "{stderr}");
    server.stop();

    let (code, offline, stderr) = kmsd(
        dir.path(),
        &["export", "--data-dir", data.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(offline, everything);
    let (code, offline_eu, _) = kmsd(
        dir.path(),
        &[
            "export",
            "--data-dir",
            data.to_str().unwrap(),
            "--region",
            "eu-west-1",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(offline_eu, eu_only);
}

#[test]
fn commands_that_read_a_data_dir_refuse_a_missing_one_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("kmsd-dtaa");
    let typo_arg = typo.to_str().unwrap();
    for args in [
        vec!["export", "--data-dir", typo_arg],
        vec!["compact", "--data-dir", typo_arg],
    ] {
        let (code, stdout, stderr) = kmsd(dir.path(), &args);
        assert_ne!(code, 0, "{args:?}");
        assert_eq!(stdout, "", "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("does not exist"), "{stderr}");
        assert!(!typo.exists(), "{args:?} created {typo_arg}");
    }
    // A directory that is not a data dir is not made one.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, _, stderr) = kmsd(
        dir.path(),
        &["export", "--data-dir", empty.to_str().unwrap()],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("not a kmsd data dir"), "{stderr}");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    // A seed file that cannot be read creates no data dir either.
    let missing = dir.path().join("missing.yaml");
    let (code, _, stderr) = kmsd(
        dir.path(),
        &["seed", missing.to_str().unwrap(), "--data-dir", typo_arg],
    );
    assert_ne!(code, 0);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!typo.exists());
}
