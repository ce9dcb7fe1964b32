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
