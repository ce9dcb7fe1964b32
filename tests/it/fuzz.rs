//! Fuzzing on the stable toolchain: mutation-based targets seeded from a committed corpus
//! (`tests/fuzz/corpus/<target>/`), each run for a bounded time (`FUZZ_SECONDS`, default 2;
//! `.ci/run` gives each longer). The request decoder and dispatch (bytes and structure-aware
//! JSON for every operation), the ciphertext envelope parser and Decrypt behind it, the
//! seed-file parser, the Nitro Enclaves attestation document reader and verifier (with
//! GenerateRandom behind it), and the SigV4 credential-scope reader over HTTP. Every input that ever
//! broke a target is kept in `tests/fuzz/regressions/<target>/` and replayed first. A failing
//! input is written to `target/fuzz-crashes/<target>/` and the test fails naming it; the
//! seed of the run (`FUZZ_SEED` to repeat one) is printed with the executions.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kmsd::api;
use kmsd::kms::{Clock, Context, Kms};
use kmsd::model::{AccountId, AwsEnum, Operation, Region, Scope};
use kmsd::store::Store;
use serde_json::{Value, json};

use crate::support::TestServer;
use crate::support::keepalive::KeepAlive;

const FUZZ_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz");
const SEED_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docker/seed.yaml");

/// A small, fast, seedable generator (xorshift64*): fuzzing needs speed and repeatability,
/// not cryptographic quality.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One target's run: its corpus, its time, its count.
struct Run {
    target: &'static str,
    rng: Rng,
    seed: u64,
    corpus: Vec<Vec<u8>>,
    deadline: Instant,
    executions: u64,
}

impl Run {
    fn new(target: &'static str) -> Run {
        let seed = std::env::var("FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        let seconds: f64 = std::env::var("FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2.0);
        let corpus = files(&Path::new(FUZZ_DIR).join("corpus").join(target));
        assert!(!corpus.is_empty(), "no corpus for {target}");
        Run {
            target,
            rng: Rng::new(seed),
            seed,
            corpus,
            deadline: Instant::now() + Duration::from_secs_f64(seconds),
            executions: 0,
        }
    }

    /// The inputs that broke this target before: replayed before any new one.
    fn regressions(&self) -> Vec<Vec<u8>> {
        files(&Path::new(FUZZ_DIR).join("regressions").join(self.target))
    }

    fn running(&self) -> bool {
        Instant::now() < self.deadline
    }

    /// A new input: a corpus entry, mutated a few times, sometimes spliced with another.
    fn input(&mut self) -> Vec<u8> {
        let mut data = self.rng.pick(&self.corpus).clone();
        let rounds = 1 + self.rng.below(4);
        for _ in 0..rounds {
            mutate_bytes(&mut self.rng, &mut data);
        }
        if self.rng.chance(8) {
            let other = self.rng.pick(&self.corpus).clone();
            let (a, b) = (
                self.rng.below(data.len() + 1),
                self.rng.below(other.len() + 1),
            );
            data.truncate(a);
            data.extend_from_slice(&other[b..]);
        }
        data
    }

    /// Runs `check` on `input`; a panic or a broken property is a crash, saved for the repo.
    fn execute(&mut self, input: &[u8], check: impl FnOnce(&[u8]) -> Result<(), String>) {
        self.executions += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| check(input)))
            .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_text(&panic))));
        if let Err(why) = outcome {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join("fuzz-crashes")
                .join(self.target);
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("crash-{}-{}", self.seed, self.executions));
            std::fs::write(&path, input).unwrap();
            panic!(
                "fuzz {}: {why}\ninput saved to {} (seed {}): move it to tests/fuzz/regressions/{}/ \
                 once fixed",
                self.target,
                path.display(),
                self.seed,
                self.target
            );
        }
    }

    fn report(&self) {
        eprintln!(
            "fuzz {}: {} executions, 0 crashes (seed {})",
            self.target, self.executions, self.seed
        );
        assert!(self.executions > 0);
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// The files of a directory, sorted (none if it does not exist).
fn files(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Byte-level mutations, as coverage-guided fuzzers make them.
fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>) {
    const INTERESTING: [u8; 10] = [0, 1, 0x7f, 0x80, 0xff, b'"', b'\\', b'{', b'[', b'0'];
    let at = rng.below(data.len() + 1);
    match rng.below(7) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = *rng.pick(&INTERESTING);
        }
        2 => data.insert(at, rng.next() as u8),
        3 if at < data.len() => {
            let end = (at + 1 + rng.below(16)).min(data.len());
            data.drain(at..end);
        }
        4 if !data.is_empty() => {
            // Repeat a slice: long runs find length bugs.
            let start = rng.below(data.len());
            let end = (start + 1 + rng.below(32)).min(data.len());
            let chunk = data[start..end].repeat(1 + rng.below(64));
            data.splice(at..at, chunk);
        }
        5 => data.truncate(at),
        _ => {
            let n = 1 + rng.below(8);
            data.splice(at..at, (0..n).map(|_| rng.next() as u8));
        }
    }
}

/// A random JSON value, sometimes deep, long or extreme.
fn random_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => json!(rng.chance(2)),
        2 => json!(*rng.pick(&[0i64, -1, 1, 7, 90, 2560, 4096, i64::MAX, i64::MIN])),
        3 => json!(*rng.pick(&[0.5f64, -0.0, 1e300, 3.0])),
        4 => {
            let len = *rng.pick(&[0usize, 1, 2, 8, 255, 256, 2048, 5000]);
            let c = *rng.pick(&['a', 'é', '/', ':', ' ', '\u{0}', '=', '🔑']);
            json!(std::iter::repeat_n(c, len).collect::<String>())
        }
        5 => json!(*rng.pick(&[
            "alias/app-data",
            "alias/aws/s3",
            "arn:aws:kms:us-east-1:123456789012:key/0b7fb8d4-5b1f-4a8e-9b43-9d0c3f6c1a11",
            "arn:aws:kms:us-east-1:123456789012:alias/tokens",
            "AAAA",
            "SYMMETRIC_DEFAULT",
            "RSA_2048",
            "ML_DSA_44",
            "ECC_NIST_P521",
            "",
        ])),
        6 => Value::Array(
            (0..rng.below(12))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        7 => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.below(6) {
                map.insert(
                    rng.pick(&["a", "KeyId", "Name", "aws:x", "k"]).to_string(),
                    random_value(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
        _ => Value::Array(vec![random_value(rng, depth + 1)]),
    }
}

/// Structure-aware mutation of a request body: replace, remove or add members.
fn mutate_json(rng: &mut Rng, body: &mut Value) {
    let Some(members) = body.as_object_mut() else {
        return;
    };
    let names: Vec<String> = members.keys().cloned().collect();
    match rng.below(4) {
        0 if !names.is_empty() => {
            let name = rng.pick(&names).clone();
            members.insert(name, random_value(rng, 0));
        }
        1 if !names.is_empty() => {
            members.remove(rng.pick(&names).as_str());
        }
        2 => {
            let name = rng
                .pick(&[
                    "KeyId",
                    "DryRun",
                    "GrantTokens",
                    "EncryptionContext",
                    "Limit",
                    "Marker",
                    "KeySpec",
                    "NumberOfBytes",
                    "Policy",
                    "Tags",
                ])
                .to_string();
            members.insert(name, random_value(rng, 0));
        }
        _ if !names.is_empty() => {
            // Nest: mutate inside an object member.
            let name = rng.pick(&names).clone();
            if let Some(inner) = members.get_mut(&name) {
                mutate_json(rng, inner);
            }
        }
        _ => {}
    }
}

/// A `Kms` in memory holding the keys of docker/seed.yaml (fixed ids the corpus names).
fn seeded_kms() -> Kms {
    let home = Scope {
        account: AccountId::parse("123456789012").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    };
    let kms = Kms::open(Store::in_memory(), home, Clock::system()).unwrap();
    kmsd::seed::apply(&kms, Path::new(SEED_FILE)).unwrap();
    kms
}

/// Runs one body through the decoder and dispatch; a client's mistake must never be a 5xx.
fn dispatch(kms: &Kms, operation: Operation, body: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut cx = Context::new(kms.home().clone(), operation, "fuzz");
    match api::dispatch(kms, &mut cx, body) {
        Ok(answer) => Ok(Some(answer)),
        Err(error) if error.status() < 500 => Ok(None),
        Err(error) => Err(format!("{operation} answered {error}")),
    }
}

/// Key pair generation of RSA keys takes seconds; the fuzzer leaves it to the other tests.
fn too_slow(operation: Operation, body: &[u8]) -> bool {
    matches!(
        operation,
        Operation::CreateKey
            | Operation::GenerateDataKeyPair
            | Operation::GenerateDataKeyPairWithoutPlaintext
    ) && body.windows(3).any(|w| w == b"RSA")
}

#[test]
fn fuzz_request_decoder_and_dispatch() {
    let mut run = Run::new("requests");
    let kms = seeded_kms();
    let requests: Vec<(Operation, Value)> = run
        .corpus
        .iter()
        .map(|raw| {
            let entry: Value = serde_json::from_slice(raw).unwrap();
            let operation = Operation::parse(entry["operation"].as_str().unwrap()).unwrap();
            (operation, entry["body"].clone())
        })
        .collect();
    let operations: Vec<Operation> = Operation::LISTED.to_vec();
    for raw in run.regressions() {
        let entry: Value = serde_json::from_slice(&raw).unwrap();
        let operation = Operation::parse(entry["operation"].as_str().unwrap()).unwrap();
        let body = entry["body"].as_str().unwrap().as_bytes().to_vec();
        run.execute(&body, |body| dispatch(&kms, operation, body).map(drop));
    }
    // Every corpus request is valid for some key state: each must decode.
    for (operation, body) in &requests {
        let bytes = body.to_string().into_bytes();
        run.execute(&bytes, |body| dispatch(&kms, *operation, body).map(drop));
    }
    while run.running() {
        let (operation, bytes) = match run.rng.below(3) {
            // Arbitrary bytes to any operation.
            0 => (*run.rng.pick(&operations), run.input()),
            // A corpus request, its members changed.
            1 => {
                let (operation, body) = run.rng.pick(&requests).clone();
                let mut body = body;
                for _ in 0..1 + run.rng.below(3) {
                    mutate_json(&mut run.rng, &mut body);
                }
                (operation, body.to_string().into_bytes())
            }
            // A corpus request's text, its bytes changed.
            _ => {
                let (operation, body) = run.rng.pick(&requests).clone();
                let mut bytes = body.to_string().into_bytes();
                mutate_bytes(&mut run.rng, &mut bytes);
                (operation, bytes)
            }
        };
        if too_slow(operation, &bytes) {
            continue;
        }
        run.execute(&bytes, |body| dispatch(&kms, operation, body).map(drop));
    }
    run.report();
}

#[test]
fn fuzz_ciphertext_envelope() {
    let mut run = Run::new("envelope");
    let kms = seeded_kms();
    let originals = run.corpus.clone();
    let decrypt = |blob: &[u8], context: bool| {
        let mut body = json!({"CiphertextBlob": base64_encode(blob)});
        if context {
            body["EncryptionContext"] = json!({"purpose": "fuzz"});
        }
        dispatch(&kms, Operation::Decrypt, body.to_string().as_bytes())
    };
    // The corpus decrypts: the property below would hold vacuously otherwise.
    let decrypted = originals
        .iter()
        .filter(|blob| {
            matches!(decrypt(blob, false), Ok(Some(_)))
                || matches!(decrypt(blob, true), Ok(Some(_)))
        })
        .count();
    assert_eq!(
        decrypted,
        originals.len(),
        "the envelope corpus must decrypt"
    );
    let check = |blob: &[u8]| -> Result<(), String> {
        let parsed = kmsd::crypto::envelope::Envelope::parse(blob);
        if let Ok(envelope) = &parsed {
            // What parses re-serializes to the same header.
            let mut header = Vec::new();
            envelope.header.write(&mut header);
            if header != envelope.header_bytes {
                return Err("the header does not round-trip".into());
            }
        }
        for context in [false, true] {
            if decrypt(blob, context)?.is_some() && !originals.iter().any(|o| o == blob) {
                return Err("a changed ciphertext decrypted".into());
            }
        }
        Ok(())
    };
    for input in run.regressions() {
        run.execute(&input, check);
    }
    while run.running() {
        let input = run.input();
        run.execute(&input, check);
    }
    run.report();
}

#[test]
fn fuzz_seed_file_parser() {
    let mut run = Run::new("seed");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    let home = Scope {
        account: AccountId::parse("123456789012").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    };
    let check = |text: &[u8]| -> Result<(), String> {
        std::fs::write(&path, text).unwrap();
        match kmsd::seed::load(&path, &home) {
            Ok(_) => Ok(()),
            Err(error) if !error.to_string().trim().is_empty() => Ok(()),
            Err(_) => Err("an error without a reason".into()),
        }
    };
    for input in run.regressions() {
        run.execute(&input, check);
    }
    while run.running() {
        let mut input = run.input();
        // Line-level changes keep more of the YAML structure than byte changes.
        if run.rng.chance(2) {
            let text = String::from_utf8_lossy(&input).into_owned();
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let (a, b) = (run.rng.below(lines.len()), run.rng.below(lines.len()));
                match run.rng.below(3) {
                    0 => lines.swap(a, b),
                    1 => {
                        lines.remove(a);
                    }
                    _ => lines.insert(a, lines[b]),
                }
            }
            input = lines.join("\n").into_bytes();
        }
        run.execute(&input, check);
    }
    run.report();
}

/// CBOR heads that stress a reader: huge lengths, indefinite lengths, tags, deep nesting.
const CBOR_HEADS: &[&[u8]] = &[
    &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0x5a, 0x00, 0x01, 0x00, 0x00],
    &[0x9f],
    &[0xff],
    &[0xd2],
    &[0xd9, 0xd9, 0xf7],
    &[0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81],
    &[
        0xa1, 0x6a, b'p', b'u', b'b', b'l', b'i', b'c', b'_', b'k', b'e', b'y',
    ],
    &[0xf6],
    &[0x40],
];

#[test]
fn fuzz_attestation_document() {
    use kmsd::kms::encryption::RecipientKey;
    let mut run = Run::new("attestation");
    let kms = seeded_kms();
    // Some corpus documents carry an RSA key: the properties below must not hold vacuously.
    let taken = run
        .corpus
        .iter()
        .filter(|d| RecipientKey::from_attestation_document(d).is_ok())
        .count();
    assert!(
        taken >= 2,
        "the attestation corpus must hold documents with an RSA key"
    );
    // One is signed through a chain to this root: verification (`--attestation-root`) and its
    // certificate reader are fuzzed too.
    let root = std::fs::read(Path::new(FUZZ_DIR).join("attestation-root.der")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let verified = run
        .corpus
        .iter()
        .filter_map(|d| RecipientKey::from_attestation_document(d).ok())
        .filter(|key| key.verify(&root, now).is_ok())
        .count();
    assert_eq!(verified, 1, "the signed corpus document must verify");
    let sealed = std::cell::Cell::new(0u64);
    let verifications = std::cell::Cell::new(0u64);
    let check = |doc: &[u8], dispatched: bool| -> Result<(), String> {
        let read = RecipientKey::from_attestation_document(doc);
        sealed.set(sealed.get() + u64::from(read.is_ok()));
        match read {
            // A taken document seals: a ContentInfo, a SEQUENCE.
            Ok(key) if key.seal(b"fuzz").first() != Some(&0x30) => {
                return Err("the envelope is not a DER SEQUENCE".into());
            }
            Ok(key) => match key.verify(&root, now) {
                Ok(()) => verifications.set(verifications.get() + 1),
                Err(why) if why.trim().is_empty() => {
                    return Err("a verification error without a reason".into());
                }
                Err(_) => {}
            },
            Err(why) if why.trim().is_empty() => {
                return Err("an error without a reason".into());
            }
            Err(_) => {}
        }
        if dispatched {
            // The whole path: a request with this document answers 200 or a client error.
            let body = json!({
                "NumberOfBytes": 16,
                "Recipient": {
                    "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256",
                    "AttestationDocument": base64_encode(doc),
                },
            });
            dispatch(&kms, Operation::GenerateRandom, body.to_string().as_bytes())?;
        }
        Ok(())
    };
    for input in run.regressions() {
        run.execute(&input, |doc| check(doc, true));
    }
    while run.running() {
        let mut input = run.input();
        if run.rng.chance(3) {
            // Structure-aware: a CBOR head where a byte was.
            let at = run.rng.below(input.len() + 1);
            let head = *run.rng.pick(CBOR_HEADS);
            let end = (at + head.len()).min(input.len());
            input.splice(at..end, head.iter().copied());
        }
        let dispatched = run.rng.chance(16);
        run.execute(&input, |doc| check(doc, dispatched));
    }
    eprintln!(
        "fuzz attestation: {} documents taken and sealed to, {} of them verified",
        sealed.get(),
        verifications.get()
    );
    run.report();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_sigv4_credential_scope() {
    let mut run = Run::new("sigv4");
    let server = TestServer::start().await;
    let addr = server.addr;
    let inputs: Vec<Vec<u8>> = run.regressions();
    let mut conn = KeepAlive::open(addr).await;
    let mut pending = inputs;
    while run.running() || !pending.is_empty() {
        let input = pending.pop().unwrap_or_else(|| run.input());
        // A header value cannot hold line breaks or NUL: HTTP itself refuses those.
        let value: Vec<u8> = input
            .into_iter()
            .filter(|b| !matches!(b, b'\r' | b'\n' | 0))
            .collect();
        let (status, answer) = conn
            .call(
                "ListKeys",
                "{}",
                &[("Authorization", &String::from_utf8_lossy(&value))],
            )
            .await;
        run.execute(&value, |_| {
            if status >= 500 {
                Err(format!("ListKeys answered {status} {answer}"))
            } else {
                Ok(())
            }
        });
    }
    run.report();
    server.stop().await;
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
