//! Torn state: under heavy concurrent writes and reads, every answer shows a state that could
//! have existed, and the state that remains is one the acknowledged writes can explain.
//!
//! 64 SDK clients run at once against one server, a bounded number of calls each. A quarter
//! keep moving two aliases between four keys (UpdateAlias), a quarter enable and disable the
//! keys, a quarter encrypt under the aliases and the key ids and decrypt what they got, and a
//! quarter list the aliases and describe the keys behind them. A fifth key, which no alias ever
//! names, is toggled too. What every answer must show:
//!
//! - ListAliases lists each alias exactly once, naming one of the four keys; DescribeKey via an
//!   alias answers one of the four keys, Enabled or Disabled.
//! - Encrypt either succeeds, naming the key asked for (or, via an alias, one of the four keys,
//!   never the fifth), with a ciphertext that decrypts to the plaintext, or fails with
//!   DisabledException. Nothing else fails, ever: no 500, no KMSInternalException.
//! - Afterwards, ListKeys and DescribeKey agree, each alias is listed once, DescribeKey via the
//!   alias agrees with ListAliases, and the final state of each key and alias is what one of
//!   the writes that could have come last (linearizability: one not finished before another
//!   began) set. Every ciphertext still decrypts once the keys are enabled.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_kms::Client;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;
use tokio::task::JoinSet;

use crate::support::keys::create_alias;
use crate::support::{TestServer, create_key, metadata};

const CLIENTS: usize = 64;
/// Calls each client makes.
const CALLS: usize = 40;
const ALIASES: [&str; 2] = ["alias/race/a", "alias/race/b"];

/// The keys: `pool` the aliases move between, `outsider` that no alias names.
struct Keys {
    pool: Vec<String>,
    outsider: String,
    /// Key id → ARN.
    arns: HashMap<String, String>,
}

impl Keys {
    fn all(&self) -> impl Iterator<Item = &String> {
        self.pool.iter().chain(std::iter::once(&self.outsider))
    }

    fn pool_arn(&self, arn: &str) -> bool {
        self.pool.iter().any(|k| self.arns[k] == arn)
    }
}

/// An acknowledged write: the object it changed (a key id or an alias name), the value it set
/// (a state or a target key id), and when it was sent and answered.
#[derive(Debug, Clone)]
struct Write {
    object: String,
    value: String,
    sent: Instant,
    answered: Instant,
}

/// A tiny xorshift64 generator: each client makes its own fixed sequence of choices.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_tear_aliases_or_states() {
    let server = TestServer::start().await;
    let client = server.client();
    let begun = Instant::now();
    let outsider = create_key(&client).await;
    let mut pool = Vec::new();
    for _ in 0..4 {
        pool.push(create_key(&client).await);
    }
    let mut arns = HashMap::new();
    for key in pool.iter().chain([&outsider]) {
        let meta = client.describe_key().key_id(key).send().await.unwrap();
        arns.insert(key.clone(), meta.key_metadata.unwrap().arn.unwrap());
    }
    let keys = Keys {
        pool,
        outsider,
        arns,
    };
    let created = Instant::now();
    // The state before the load counts as a write finished before any other began.
    let mut initial: Vec<Write> = keys
        .all()
        .map(|k| Write {
            object: k.clone(),
            value: "Enabled".to_owned(),
            sent: begun,
            answered: created,
        })
        .collect();
    for (alias, target) in ALIASES.iter().zip(&keys.pool) {
        let sent = Instant::now();
        create_alias(&client, alias, target).await;
        initial.push(Write {
            object: (*alias).to_owned(),
            value: target.clone(),
            sent,
            answered: Instant::now(),
        });
    }

    let keys = Arc::new(keys);
    let writes = Arc::new(Mutex::new(initial));
    let ciphertexts = Arc::new(Mutex::new(Vec::new()));
    let mut clients = JoinSet::new();
    for n in 0..CLIENTS {
        let client = server.client();
        let keys = keys.clone();
        let writes = writes.clone();
        let ciphertexts = ciphertexts.clone();
        let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1));
        clients.spawn(async move {
            for call in 0..CALLS {
                match n % 4 {
                    0 => {
                        let write = move_alias(&client, &keys, &mut dice).await;
                        writes.lock().unwrap().push(write);
                    }
                    1 => {
                        let write = toggle(&client, &keys, &mut dice).await;
                        writes.lock().unwrap().push(write);
                    }
                    2 => {
                        let plaintext = format!("client {n} call {call}").into_bytes();
                        if let Some(blob) = encrypt(&client, &keys, &mut dice, &plaintext).await {
                            ciphertexts.lock().unwrap().push((blob, plaintext));
                        }
                    }
                    _ => read(&client, &keys, &mut dice).await,
                }
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.unwrap();
    }
    let load = begun.elapsed();

    let writes = writes.lock().unwrap().clone();
    let ciphertexts = ciphertexts.lock().unwrap().clone();
    check_final(&client, &keys, &writes).await;
    for key in keys.all() {
        client.enable_key().key_id(key).send().await.unwrap();
    }
    for (blob, plaintext) in &ciphertexts {
        let back = client
            .decrypt()
            .ciphertext_blob(blob.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext.unwrap().into_inner(), *plaintext);
    }
    eprintln!(
        "concurrency: {} calls by {CLIENTS} clients in {load:?}: {} writes acknowledged, {} \
         ciphertexts checked",
        CLIENTS * CALLS,
        writes.len(),
        ciphertexts.len()
    );
    server.stop().await;
}

/// UpdateAlias: one of the aliases to one of the pool's keys.
async fn move_alias(client: &Client, keys: &Keys, dice: &mut Dice) -> Write {
    let alias = ALIASES[dice.below(ALIASES.len())];
    let target = &keys.pool[dice.below(keys.pool.len())];
    let sent = Instant::now();
    client
        .update_alias()
        .alias_name(alias)
        .target_key_id(target)
        .send()
        .await
        .unwrap_or_else(|e| panic!("UpdateAlias {alias} → {target}: {e:?}"));
    Write {
        object: alias.to_owned(),
        value: target.clone(),
        sent,
        answered: Instant::now(),
    }
}

/// EnableKey or DisableKey on any key, the outsider included.
async fn toggle(client: &Client, keys: &Keys, dice: &mut Dice) -> Write {
    let key = keys.all().nth(dice.below(keys.pool.len() + 1)).unwrap();
    let enable = dice.below(2) == 0;
    let sent = Instant::now();
    if enable {
        let result = client.enable_key().key_id(key).send().await;
        result.unwrap_or_else(|e| panic!("EnableKey {key}: {e:?}"));
    } else {
        let result = client.disable_key().key_id(key).send().await;
        result.unwrap_or_else(|e| panic!("DisableKey {key}: {e:?}"));
    }
    Write {
        object: key.clone(),
        value: if enable { "Enabled" } else { "Disabled" }.to_owned(),
        sent,
        answered: Instant::now(),
    }
}

/// Encrypt via an alias or a key id, then Decrypt what came back. Returns the ciphertext, or
/// `None` when the key was disabled.
async fn encrypt(client: &Client, keys: &Keys, dice: &mut Dice, plaintext: &[u8]) -> Option<Blob> {
    let choice = dice.below(ALIASES.len() + keys.pool.len() + 1);
    let key_ref = ALIASES
        .iter()
        .map(|a| (*a).to_owned())
        .chain(keys.all().cloned())
        .nth(choice)
        .unwrap();
    let result = client
        .encrypt()
        .key_id(&key_ref)
        .plaintext(Blob::new(plaintext))
        .send()
        .await;
    let encrypted = match result {
        Ok(encrypted) => encrypted,
        Err(error) if error.code() == Some("DisabledException") => return None,
        Err(error) => panic!("Encrypt under {key_ref}: {error:?}"),
    };
    let used = encrypted.key_id.unwrap();
    if key_ref.starts_with("alias/") {
        assert!(keys.pool_arn(&used), "{key_ref} encrypted under {used}");
    } else {
        assert_eq!(used, keys.arns[&key_ref], "Encrypt under {key_ref}");
    }
    let blob = encrypted.ciphertext_blob.unwrap();
    match client.decrypt().ciphertext_blob(blob.clone()).send().await {
        Ok(back) => {
            assert_eq!(back.key_id.as_deref(), Some(used.as_str()));
            assert_eq!(back.plaintext.unwrap().into_inner(), plaintext);
        }
        // Disabled between the two calls.
        Err(error) if error.code() == Some("DisabledException") => {}
        Err(error) => panic!("Decrypt of a ciphertext under {used}: {error:?}"),
    }
    Some(blob)
}

/// ListAliases, or DescribeKey via an alias.
async fn read(client: &Client, keys: &Keys, dice: &mut Dice) {
    if dice.below(2) == 0 {
        let listed = client.list_aliases().send().await.unwrap();
        for alias in ALIASES {
            let entries: Vec<_> = listed
                .aliases()
                .iter()
                .filter(|a| a.alias_name.as_deref() == Some(alias))
                .collect();
            let [entry] = entries.as_slice() else {
                panic!("{alias} listed {} times: {listed:?}", entries.len())
            };
            let target = entry.target_key_id.as_deref().unwrap();
            assert!(keys.pool.iter().any(|k| k == target), "{alias} → {target}");
        }
    } else {
        let alias = ALIASES[dice.below(ALIASES.len())];
        let meta = client
            .describe_key()
            .key_id(alias)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DescribeKey {alias}: {e:?}"))
            .key_metadata
            .unwrap();
        assert!(
            keys.pool.contains(&meta.key_id),
            "{alias} → {}",
            meta.key_id
        );
        let state = meta.key_state.unwrap();
        assert!(
            matches!(state, KeyState::Enabled | KeyState::Disabled),
            "{alias} → {}: {state:?}",
            meta.key_id
        );
    }
}

/// The values `object` may hold once every write has been answered: those of the writes that
/// could have been applied last, i.e. that were still unanswered when the last one was sent.
fn possible_finals<'a>(writes: &'a [Write], object: &str) -> HashSet<&'a str> {
    let mine: Vec<&Write> = writes.iter().filter(|w| w.object == object).collect();
    let last_sent = mine.iter().map(|w| w.sent).max().unwrap();
    mine.iter()
        .filter(|w| w.answered >= last_sent)
        .map(|w| w.value.as_str())
        .collect()
}

async fn check_final(client: &Client, keys: &Keys, writes: &[Write]) {
    let listed: HashSet<String> = client
        .list_keys()
        .send()
        .await
        .unwrap()
        .keys()
        .iter()
        .map(|k| k.key_id.clone().unwrap())
        .collect();
    assert_eq!(listed, keys.all().cloned().collect::<HashSet<_>>());
    for key in keys.all() {
        let meta = metadata(client, key).await;
        let state = meta.key_state.unwrap();
        let possible = possible_finals(writes, key);
        assert!(
            possible.contains(state.as_str()),
            "{key} ended {state:?}; the writes that could have come last set {possible:?}"
        );
    }
    let aliases = client.list_aliases().send().await.unwrap();
    for alias in ALIASES {
        let entries: Vec<_> = aliases
            .aliases()
            .iter()
            .filter(|a| a.alias_name.as_deref() == Some(alias))
            .collect();
        let [entry] = entries.as_slice() else {
            panic!("{alias} listed {} times: {aliases:?}", entries.len())
        };
        let target = entry.target_key_id.as_deref().unwrap();
        let possible = possible_finals(writes, alias);
        assert!(
            possible.contains(target),
            "{alias} ended on {target}; the writes that could have come last set {possible:?}"
        );
        let described = metadata(client, alias).await;
        assert_eq!(described.key_id, target);
    }
}
