use super::*;

fn front_public_key(pool: &RsaPool, bits: usize) -> Option<Vec<u8>> {
    let keys = pool.inner.keys.lock().unwrap();
    keys.get(&bits)?
        .front()
        .map(|k| k.public_key_der().unwrap())
}

#[test]
fn take_hands_out_the_pooled_key_and_the_pool_refills() {
    let pool = RsaPool::with_sizes(1, &[2048]);
    pool.wait_until_full();
    assert_eq!(pool.ready(2048), 1);
    let pooled = front_public_key(&pool, 2048).unwrap();
    let taken = pool.take(2048).unwrap();
    assert_eq!(taken.public_key_der().unwrap(), pooled);
    assert_eq!(taken.kind(), KeyPairKind::Rsa(2048));
    // The background thread tops the pool up again, with a different key.
    pool.wait_until_full();
    assert_ne!(front_public_key(&pool, 2048).unwrap(), pooled);
}

#[test]
fn an_empty_pool_generates_on_demand() {
    let pool = RsaPool::new(0);
    assert_eq!(pool.ready(2048), 0);
    let key = pool.take(2048).unwrap();
    assert_eq!(key.kind(), KeyPairKind::Rsa(2048));
    // Sizes outside the pool are generated on demand too.
    let pool = RsaPool::with_sizes(1, &[2048]);
    assert_eq!(pool.take(3072).unwrap().kind(), KeyPairKind::Rsa(3072));
}

#[test]
fn the_larger_sizes_keep_an_eighth_as_many_keys() {
    let pool = RsaPool::with_sizes(24, &[]);
    assert_eq!(pool.inner.target(2048), 24);
    assert_eq!(pool.inner.target(3072), 3);
    assert_eq!(pool.inner.target(4096), 3);
    let pool = RsaPool::with_sizes(1, &[]);
    assert_eq!(pool.inner.target(4096), 1);
}

#[cfg(target_os = "linux")]
#[test]
fn the_refill_thread_runs_at_the_lowest_priority() {
    let pool = RsaPool::with_sizes(1, &[2048]);
    // Full means the thread has generated a key, so it has set its priority already.
    pool.wait_until_full();
    let mut found = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim() != "kmsd-rsa-pool" {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap();
        // Fields after the parenthesised name: state is field 3, nice is field 19 and the
        // scheduling policy field 41 (SCHED_IDLE is 5).
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        assert_eq!(fields[16], "19", "nice: {stat}");
        assert_eq!(fields[38], "5", "policy: {stat}");
        found += 1;
    }
    assert!(found > 0, "no kmsd-rsa-pool thread");
}

#[test]
fn the_pool_fills_only_while_no_activity_is_noted() {
    // A long quiet window, so that a briefly starved test thread cannot open one by accident.
    let quiet = std::time::Duration::from_millis(200);
    let pool = RsaPool::with_quiet(1, &[2048], quiet);
    let busy_until = std::time::Instant::now() + 5 * quiet;
    while std::time::Instant::now() < busy_until {
        pool.note_activity();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(
        pool.ready(2048),
        0,
        "the pool generated a key while activity kept being noted"
    );
    // Once activity stops, the pool fills.
    pool.wait_until_full();
    assert_eq!(pool.ready(2048), 1);
}
