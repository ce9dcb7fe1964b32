//! Rates from `--throttle`, the quota of a call, and the bucket's refill on a given clock.

use std::time::Duration;

use super::*;
use crate::model::AccountId;

fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).unwrap(),
        region: Region::parse(region).unwrap(),
    }
}

#[test]
fn off_and_empty_throttle_nothing() {
    for text in ["off", ""] {
        let rates = ThrottleRates::parse(text).unwrap();
        assert!(!rates.is_on());
        let us = Region::parse("us-east-1").unwrap();
        assert_eq!(rates.rate(Quota::Symmetric, &us), None);
    }
}

#[test]
fn aws_uses_the_guide_s_figures_by_region_and_operation() {
    let rates = ThrottleRates::parse("aws").unwrap();
    let rate = |quota, region| rates.rate(quota, &Region::parse(region).unwrap());
    assert_eq!(rate(Quota::Symmetric, "us-east-1"), Some(100_000.0));
    assert_eq!(rate(Quota::Symmetric, "eu-central-1"), Some(20_000.0));
    assert_eq!(rate(Quota::Symmetric, "sa-east-1"), Some(10_000.0));
    assert_eq!(rate(Quota::Rsa, "sa-east-1"), Some(1_000.0));
    assert_eq!(rate(Quota::Ecc, "sa-east-1"), Some(1_000.0));
    let op = |op| rate(Quota::Operation(op), "us-east-1");
    assert_eq!(op(Operation::CreateKey), Some(5.0));
    assert_eq!(op(Operation::CreateGrant), Some(50.0));
    assert_eq!(op(Operation::DescribeKey), Some(2_000.0));
    assert_eq!(op(Operation::GetParametersForImport), Some(0.25));
    assert_eq!(op(Operation::GenerateDataKeyPair), None);
}

#[test]
fn custom_rates_alone_or_over_aws() {
    let us = Region::parse("us-east-1").unwrap();
    let custom = ThrottleRates::parse("symmetric=100, rsa=0.5,CreateKey=1").unwrap();
    assert_eq!(custom.rate(Quota::Symmetric, &us), Some(100.0));
    assert_eq!(custom.rate(Quota::Rsa, &us), Some(0.5));
    assert_eq!(
        custom.rate(Quota::Operation(Operation::CreateKey), &us),
        Some(1.0)
    );
    assert_eq!(custom.rate(Quota::Ecc, &us), None, "only what is named");
    let over = ThrottleRates::parse("aws,symmetric=100").unwrap();
    assert_eq!(over.rate(Quota::Symmetric, &us), Some(100.0));
    assert_eq!(over.rate(Quota::Ecc, &us), Some(1_000.0));
}

#[test]
fn bad_throttle_values_are_refused() {
    for (text, reason) in [
        ("sometimes", "expected off, aws"),
        ("symmetric", "expected off, aws"),
        ("symmetric=0", "greater than 0"),
        ("symmetric=-1", "greater than 0"),
        ("symmetric=fast", "greater than 0"),
        ("hmac=5", "unknown quota"),
        ("Encrypt=5", "shares the quota of its key type"),
        ("off,rsa=1", "expected off, aws"),
        ("rsa=1,aws", "expected off, aws"),
    ] {
        let error = ThrottleRates::parse(text).unwrap_err();
        assert!(error.contains(reason), "{text}: {error}");
    }
}

#[test]
fn a_call_counts_against_its_key_type_s_quota() {
    use KeySpec::*;
    let of = Quota::of;
    assert_eq!(
        of(Operation::Encrypt, Some(SymmetricDefault)),
        Some(Quota::Symmetric)
    );
    assert_eq!(of(Operation::Decrypt, None), Some(Quota::Symmetric));
    assert_eq!(
        of(Operation::GenerateMac, Some(Hmac256)),
        Some(Quota::Symmetric)
    );
    assert_eq!(of(Operation::GenerateRandom, None), Some(Quota::Symmetric));
    assert_eq!(of(Operation::Sign, Some(Rsa2048)), Some(Quota::Rsa));
    assert_eq!(of(Operation::Decrypt, Some(Rsa4096)), Some(Quota::Rsa));
    assert_eq!(of(Operation::Verify, Some(EccNistP256)), Some(Quota::Ecc));
    assert_eq!(
        of(Operation::DeriveSharedSecret, Some(Sm2)),
        Some(Quota::Ecc)
    );
    assert_eq!(of(Operation::Sign, Some(MlDsa65)), None);
    assert_eq!(
        of(Operation::DescribeKey, Some(Rsa2048)),
        Some(Quota::Operation(Operation::DescribeKey))
    );
}

#[test]
fn a_bucket_holds_one_second_and_refills_at_the_rate() {
    let throttle = Throttle::new(ThrottleRates::parse("symmetric=4").unwrap());
    let home = scope("111122223333", "us-east-1");
    let start = Instant::now();
    for _ in 0..4 {
        assert!(throttle.admit(&home, Quota::Symmetric, start));
    }
    assert!(!throttle.admit(&home, Quota::Symmetric, start));
    // A quarter second brings one token back, and no more.
    let later = start + Duration::from_millis(250);
    assert!(throttle.admit(&home, Quota::Symmetric, later));
    assert!(!throttle.admit(&home, Quota::Symmetric, later));
    // A long pause fills the bucket to its capacity only.
    let much_later = later + Duration::from_secs(60);
    for _ in 0..4 {
        assert!(throttle.admit(&home, Quota::Symmetric, much_later));
    }
    assert!(!throttle.admit(&home, Quota::Symmetric, much_later));
}

#[test]
fn buckets_are_per_account_region_and_quota() {
    let throttle = Throttle::new(ThrottleRates::parse("symmetric=1,rsa=1").unwrap());
    let now = Instant::now();
    let home = scope("111122223333", "us-east-1");
    assert!(throttle.admit(&home, Quota::Symmetric, now));
    assert!(!throttle.admit(&home, Quota::Symmetric, now));
    assert!(throttle.admit(&home, Quota::Rsa, now));
    assert!(throttle.admit(&scope("111122223333", "eu-west-1"), Quota::Symmetric, now));
    assert!(throttle.admit(&scope("444455556666", "us-east-1"), Quota::Symmetric, now));
    // Quotas without a rate are not throttled.
    for _ in 0..10 {
        assert!(throttle.admit(&home, Quota::Ecc, now));
    }
}

#[test]
fn a_fractional_rate_admits_one_call_per_interval() {
    let throttle = Throttle::new(ThrottleRates::parse("GetParametersForImport=0.25").unwrap());
    let quota = Quota::Operation(Operation::GetParametersForImport);
    let home = scope("111122223333", "us-east-1");
    let start = Instant::now();
    assert!(throttle.admit(&home, quota, start));
    assert!(!throttle.admit(&home, quota, start + Duration::from_secs(3)));
    assert!(throttle.admit(&home, quota, start + Duration::from_secs(4)));
}
