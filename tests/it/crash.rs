//! Crash safety: a change kmsd has acknowledged survives `kill -9`.
//!
//! The README promises that every change is flushed to disk before its response is sent. This
//! test holds the real `kmsd` binary to it. Eight SDK clients, which never retry, each loop
//! CreateKey, CreateAlias, TagResource, Encrypt and, for every third key, ScheduleKeyDeletion,
//! and remember each call that got its response back: that call is acknowledged. Once the
//! clients have had a fixed number of mutations acknowledged (a count, not a timer), the server
//! gets SIGKILL while their next requests are in flight, so no shutdown code runs. A new kmsd
//! on the same data dir must then show every acknowledged change: each key exists, its alias
//! points at it, its tag is there, its scheduled deletion is pending with the date that was
//! answered, and each ciphertext decrypts to its plaintext (or, once its key is pending
//! deletion, is refused for that reason). A call that failed because the server died was not
//! acknowledged and proves nothing either way; a call that was refused by a live server
//! (any service error) fails the test.
//!
//! Rounds of load, kill and restart repeat on one data dir, and each restart checks every
//! round so far, so a recovery that loses older data is caught too: 3 rounds by default,
//! `KMSD_CRASH_ROUNDS` for more.

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::KeyState;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::support::client_at;
use crate::support::keys::tag;
use crate::support::process::Running;

/// Concurrent clients.
const CLIENTS: usize = 8;
/// Acknowledged mutations (CreateKey, CreateAlias, TagResource, ScheduleKeyDeletion) in a round
/// after which the server is killed.
const KILL_AFTER: usize = 300;
/// Keys one client creates in a round at most. The kill comes long before: a client alone would
/// reach `KILL_AFTER` within 40 keys.
const MAX_KEYS_PER_CLIENT: usize = 200;
const TAG_KEY: &str = "crash-test";

/// What the clients were told about one key.
#[derive(Debug)]
struct Acked {
    key_id: String,
    /// Used in its alias, tag value, description and plaintext.
    name: String,
    alias: bool,
    tag: bool,
    /// The plaintext was `name`.
    ciphertext: Option<Blob>,
    deletion: Deletion,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Deletion {
    /// Never asked for.
    No,
    /// Asked for, but the server died before it answered: it may or may not have happened.
    Unknown,
    /// Acknowledged, with this deletion date.
    Scheduled(DateTime),
}

impl Acked {
    fn alias_name(&self) -> String {
        format!("alias/crash/{}", self.name)
    }

    /// The mutations acknowledged on this key, its creation included.
    fn mutations(&self) -> usize {
        1 + usize::from(self.alias)
            + usize::from(self.tag)
            + usize::from(matches!(self.deletion, Deletion::Scheduled(_)))
    }
}

/// What the clients of one round share.
#[derive(Default)]
struct Round {
    acknowledged: AtomicUsize,
    /// Set just before SIGKILL: from then on, a failed call is one the kill cut off.
    killed: AtomicBool,
    kill_now: Notify,
}

impl Round {
    fn acknowledge(&self) {
        if self.acknowledged.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
            self.kill_now.notify_one();
        }
    }

    /// The response of a call, or `None` if the server died before answering it. An error
    /// answered by a live server, or any error before the kill, fails the test.
    fn answer<T, E: std::fmt::Debug>(&self, result: Result<T, SdkError<E>>) -> Option<T> {
        match result {
            Ok(response) => Some(response),
            Err(SdkError::ServiceError(error)) => panic!("kmsd refused a call: {error:?}"),
            Err(_) if self.killed.load(Ordering::SeqCst) => None,
            Err(error) => panic!("a call failed while kmsd was up: {error:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_kill_9() {
    let rounds: usize = std::env::var("KMSD_CRASH_ROUNDS")
        .map(|r| r.parse().expect("KMSD_CRASH_ROUNDS is a number"))
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let mut ledger: Vec<Acked> = Vec::new();
    for round in 0..rounds {
        let server = start(dir.path());
        let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
        if round > 0 {
            check(&client, &mut ledger, round).await;
        }

        let shared = Arc::new(Round::default());
        let mut clients = JoinSet::new();
        for task in 0..CLIENTS {
            let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
            clients.spawn(load(client, format!("r{round}-c{task}"), shared.clone()));
        }
        tokio::select! {
            () = shared.kill_now.notified() => {}
            () = async {
                while let Some(done) = clients.join_next().await {
                    done.unwrap();
                }
            } => panic!("the clients stopped before {KILL_AFTER} acknowledged mutations"),
        }
        shared.killed.store(true, Ordering::SeqCst);
        let status = server.kill_hard();
        assert_eq!(status.signal(), Some(9), "kmsd ended by itself: {status}");
        while let Some(done) = clients.join_next().await {
            ledger.extend(done.unwrap());
        }
        eprintln!(
            "crash round {}: killed after {} acknowledged mutations",
            round + 1,
            shared.acknowledged.load(Ordering::SeqCst)
        );
    }

    let server = start(dir.path());
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    check(&client, &mut ledger, rounds).await;
    server.terminate();
    assert!(server.wait().success());
}

/// Starts kmsd on `dir`. The killed process is reaped before this runs, so the data dir's
/// lock is free; should it still be held, kmsd exits saying so, and starting again is bounded.
fn start(dir: &Path) -> Running {
    let data = dir.join("data");
    let args = [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--rsa-pool-size",
        "0",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let mut attempts = 0;
    loop {
        attempts += 1;
        match Running::try_start(dir, &args) {
            Ok(server) => return server,
            Err(exit) if attempts < 100 && exit.stderr.iter().any(|l| l.contains("lock")) => {}
            Err(exit) => panic!(
                "kmsd did not start on its data dir ({}, attempt {attempts}):\n{}",
                exit.status,
                exit.stderr.join("\n")
            ),
        }
    }
}

/// One client's load: keys, each with an alias, a tag and a ciphertext, every third one
/// scheduled for deletion, until the server dies. Returns what was acknowledged.
async fn load(client: Client, prefix: String, round: Arc<Round>) -> Vec<Acked> {
    let mut acked = Vec::new();
    for i in 0..MAX_KEYS_PER_CLIENT {
        let name = format!("{prefix}-k{i}");
        let Some(created) = round.answer(client.create_key().description(&name).send().await)
        else {
            break;
        };
        round.acknowledge();
        acked.push(Acked {
            key_id: created.key_metadata.unwrap().key_id,
            name,
            alias: false,
            tag: false,
            ciphertext: None,
            deletion: Deletion::No,
        });
        let key = acked.last_mut().unwrap();

        let alias = client
            .create_alias()
            .alias_name(key.alias_name())
            .target_key_id(&key.key_id)
            .send()
            .await;
        if round.answer(alias).is_none() {
            break;
        }
        key.alias = true;
        round.acknowledge();

        let tagged = client
            .tag_resource()
            .key_id(&key.key_id)
            .tags(tag(TAG_KEY, &key.name))
            .send()
            .await;
        if round.answer(tagged).is_none() {
            break;
        }
        key.tag = true;
        round.acknowledge();

        let encrypted = client
            .encrypt()
            .key_id(&key.key_id)
            .plaintext(Blob::new(key.name.as_bytes()))
            .send()
            .await;
        let Some(encrypted) = round.answer(encrypted) else {
            break;
        };
        key.ciphertext = encrypted.ciphertext_blob;

        if i % 3 == 2 {
            key.deletion = Deletion::Unknown;
            let scheduled = client
                .schedule_key_deletion()
                .key_id(&key.key_id)
                .pending_window_in_days(7)
                .send()
                .await;
            let Some(scheduled) = round.answer(scheduled) else {
                break;
            };
            key.deletion = Deletion::Scheduled(scheduled.deletion_date.unwrap());
            round.acknowledge();
        }
    }
    acked
}

/// Checks every acknowledged change in `ledger` against the restarted server, prints the
/// tally and fails on any loss. A deletion whose fate was unknown is settled by what the
/// restarted server shows, which later restarts must keep.
async fn check(client: &Client, ledger: &mut [Acked], restart: usize) {
    let aliases: HashMap<String, String> = client
        .list_aliases()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|a| Some((a.alias_name?, a.target_key_id?)))
        .collect();
    let listed = client
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .len();

    let mut lost = Vec::new();
    let mut ciphertexts = 0;
    for key in ledger.iter_mut() {
        let described = client.describe_key().key_id(&key.key_id).send().await;
        let meta = match described {
            Ok(described) => described.key_metadata.unwrap(),
            Err(error) if error.code() == Some("NotFoundException") => {
                lost.push(format!("key {} ({}) is gone", key.key_id, key.name));
                continue;
            }
            Err(error) => panic!("DescribeKey {}: {error:?}", key.key_id),
        };
        let state = meta.key_state.unwrap();
        match (key.deletion, &state) {
            (Deletion::No, KeyState::Enabled) => {}
            (Deletion::Scheduled(date), KeyState::PendingDeletion)
                if meta.deletion_date == Some(date) => {}
            (Deletion::Unknown, KeyState::Enabled) => key.deletion = Deletion::No,
            (Deletion::Unknown, KeyState::PendingDeletion) => {
                key.deletion = Deletion::Scheduled(meta.deletion_date.unwrap());
            }
            (deletion, _) => lost.push(format!(
                "key {} ({}): {state:?}, deletion date {:?}, after {deletion:?}",
                key.key_id, key.name, meta.deletion_date
            )),
        }

        if key.alias && aliases.get(&key.alias_name()) != Some(&key.key_id) {
            lost.push(format!(
                "{} points at {:?}, not {}",
                key.alias_name(),
                aliases.get(&key.alias_name()),
                key.key_id
            ));
        }

        if key.tag {
            let tags = client
                .list_resource_tags()
                .key_id(&key.key_id)
                .send()
                .await
                .unwrap();
            let found = tags
                .tags()
                .iter()
                .any(|t| t.tag_key == TAG_KEY && t.tag_value == key.name);
            if !found {
                lost.push(format!("tag of {} ({}): {:?}", key.key_id, key.name, tags));
            }
        }

        if let Some(blob) = &key.ciphertext {
            ciphertexts += 1;
            let decrypted = client.decrypt().ciphertext_blob(blob.clone()).send().await;
            match (key.deletion, decrypted) {
                (Deletion::No, Ok(back)) => {
                    assert_eq!(back.key_id.as_deref(), meta.arn.as_deref());
                    assert_eq!(
                        back.plaintext.unwrap().into_inner(),
                        key.name.as_bytes(),
                        "{}",
                        key.name
                    );
                }
                (Deletion::Scheduled(_), Err(error))
                    if error.code() == Some("KMSInvalidStateException") => {}
                (deletion, result) => lost.push(format!(
                    "ciphertext of {} ({}), deletion {deletion:?}: {result:?}",
                    key.key_id, key.name
                )),
            }
        }
    }

    let mutations: usize = ledger.iter().map(Acked::mutations).sum();
    eprintln!(
        "crash restart {restart}: acknowledged {mutations} mutations on {} keys and {ciphertexts} \
         ciphertexts, lost {}; {} keys listed ({} created but never acknowledged)",
        ledger.len(),
        lost.len(),
        listed,
        listed.saturating_sub(ledger.len())
    );
    assert!(
        lost.is_empty(),
        "restart {restart} lost acknowledged changes:\n{}",
        lost.join("\n")
    );
    assert!(listed >= ledger.len());
}
