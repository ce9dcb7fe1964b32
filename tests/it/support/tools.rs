//! The outside tools kmsd is checked against: Python's `cryptography` through
//! tests/it/tools/crosscheck.py, the `openssl` command line, and the AWS CLI. A test that needs
//! one skips when it is missing, except under `CI=true`, where that fails it.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;

const CROSSCHECK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/tools/crosscheck.py");

/// Whether an external tool is present; under `CI=true` its absence fails the test.
pub fn tool_available(tool: &str, version_arg: &str) -> bool {
    let found = Command::new(tool)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is required under CI=true"
        );
        eprintln!("skipped: {tool} is not installed");
    }
    found
}

/// Whether Python with `cryptography` (a version with ML-KEM) and the openssl CLI are here
/// (required under CI=true).
pub fn tools_available() -> bool {
    let python = Command::new("python3")
        .args([
            "-c",
            "from cryptography.hazmat.primitives.asymmetric import mlkem",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !python {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with the cryptography package (with ML-KEM) is required under CI=true"
        );
        eprintln!("skipped: python3 with the cryptography package (with ML-KEM) is not installed");
        return false;
    }
    tool_available("openssl", "version")
}

/// Runs a crosscheck.py command; returns its stdout, or panics with its stderr.
pub fn crosscheck(args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(CROSSCHECK)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "crosscheck {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs `openssl` with `args`; returns its stdout, or panics with its output.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Writes a DER public key to `dir/name` as PEM (for openssl commands that want PEM).
pub fn public_pem(dir: &Path, name: &str, der: &[u8]) -> PathBuf {
    let der_path = write(dir, &format!("{name}.der"), der);
    let pem = dir.join(name);
    openssl(&[
        "pkey",
        "-pubin",
        "-inform",
        "DER",
        "-in",
        &der_path,
        "-out",
        pem.to_str().unwrap(),
    ]);
    pem
}

/// Writes `data` to `dir/name` and returns the path, for a tool's command line.
pub fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The digest of `message` under crosscheck.py's hash name (`sha256`, `sha384`, `sha512`).
pub fn digest(hash: &str, message: &[u8]) -> Vec<u8> {
    match hash {
        "sha256" => sha2::Sha256::digest(message).to_vec(),
        "sha384" => sha2::Sha384::digest(message).to_vec(),
        "sha512" => sha2::Sha512::digest(message).to_vec(),
        other => panic!("{other}"),
    }
}

/// Lower-case hex, as crosscheck.py prints secrets and seed files take key material.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
