//! Rules: what the admin API accepts, what hits which call, how `count` rules retire.

use super::*;

fn spec(json: &str) -> RuleSpec {
    serde_json::from_str(json).unwrap()
}

fn add(faults: &Faults, json: &str) -> Result<Value, String> {
    faults.add(spec(json))
}

const KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

#[test]
fn a_count_rule_hits_the_next_n_matching_calls_then_retires() {
    let faults = Faults::default();
    add(
        &faults,
        r#"{"operation": "Decrypt", "error": "KMSInternalException", "count": 2}"#,
    )
    .unwrap();
    assert_eq!(faults.hit(Operation::Encrypt, None), None);
    let internal = Some(Effect::Error(ErrorCode::KmsInternal));
    assert_eq!(faults.hit(Operation::Decrypt, None), internal);
    assert_eq!(faults.list()[0]["remaining"], 1);
    assert_eq!(faults.hit(Operation::Decrypt, None), internal);
    assert_eq!(faults.hit(Operation::Decrypt, None), None);
    assert!(faults.list().is_empty());
}

#[test]
fn a_key_rule_hits_the_key_by_id_or_arn_and_no_other() {
    let faults = Faults::default();
    add(
        &faults,
        &format!(r#"{{"operation": "*", "keyId": "{KEY}", "drop": true}}"#),
    )
    .unwrap();
    assert_eq!(faults.hit(Operation::Encrypt, None), None);
    assert_eq!(faults.hit(Operation::Encrypt, Some("alias/other")), None);
    assert_eq!(faults.hit(Operation::Sign, Some(KEY)), Some(Effect::Drop));
    let arn = format!("arn:aws:kms:us-east-1:123456789012:key/{KEY}");
    assert_eq!(
        faults.hit(Operation::Decrypt, Some(&arn)),
        Some(Effect::Drop)
    );
}

#[test]
fn the_first_matching_rule_applies() {
    let faults = Faults::default();
    add(&faults, r#"{"operation": "Encrypt", "latencyMs": 250}"#).unwrap();
    add(
        &faults,
        r#"{"operation": "*", "error": "ThrottlingException"}"#,
    )
    .unwrap();
    assert_eq!(
        faults.hit(Operation::Encrypt, None),
        Some(Effect::Latency(Duration::from_millis(250)))
    );
    assert_eq!(
        faults.hit(Operation::Decrypt, None),
        Some(Effect::Error(ErrorCode::Throttling))
    );
    assert_eq!(faults.clear(), 2);
    assert_eq!(faults.hit(Operation::Decrypt, None), None);
}

#[test]
fn probability_one_always_hits() {
    let faults = Faults::default();
    add(
        &faults,
        r#"{"operation": "*", "error": "KeyUnavailableException", "probability": 1.0}"#,
    )
    .unwrap();
    for _ in 0..100 {
        assert!(faults.hit(Operation::ListKeys, None).is_some());
    }
    assert_eq!(faults.list().len(), 1);
}

#[test]
fn a_small_probability_hits_some_calls_not_all() {
    let faults = Faults::default();
    add(
        &faults,
        r#"{"operation": "*", "error": "KMSInternalException", "probability": 0.5}"#,
    )
    .unwrap();
    let hits = (0..2000)
        .filter(|_| faults.hit(Operation::Encrypt, None).is_some())
        .count();
    // 2000 draws at p = 0.5: outside 800..1200 has a probability far below 1e-18.
    assert!((800..1200).contains(&hits), "{hits}");
}

#[test]
fn bad_rules_are_refused_with_the_reason() {
    let faults = Faults::default();
    for (rule, reason) in [
        (
            r#"{"operation": "Nope", "error": "KMSInternalException"}"#,
            "operation",
        ),
        (
            r#"{"operation": "*", "error": "NoSuchException"}"#,
            "\"error\" must be one of",
        ),
        (r#"{"operation": "*"}"#, "exactly one of"),
        (
            r#"{"operation": "*", "error": "KMSInternalException", "drop": true}"#,
            "exactly one of",
        ),
        (r#"{"operation": "*", "drop": false}"#, "exactly one of"),
        (
            r#"{"operation": "*", "drop": true, "count": 0}"#,
            "at least 1",
        ),
        (
            r#"{"operation": "*", "drop": true, "probability": 0}"#,
            "probability",
        ),
        (
            r#"{"operation": "*", "drop": true, "probability": 1.5}"#,
            "probability",
        ),
        (
            r#"{"operation": "*", "drop": true, "count": 1, "probability": 0.5}"#,
            "not both",
        ),
    ] {
        let error = add(&faults, rule).unwrap_err();
        assert!(error.contains(reason), "{rule}: {error}");
    }
    assert!(faults.list().is_empty());
    assert!(
        serde_json::from_str::<RuleSpec>(r#"{"operation": "*", "drop": true, "typo": 1}"#).is_err()
    );
}

#[test]
fn every_injectable_error_is_accepted_and_throttling_says_rate_exceeded() {
    for code in INJECTABLE {
        let faults = Faults::default();
        add(
            &faults,
            &format!(r#"{{"operation": "*", "error": "{}"}}"#, code.as_str()),
        )
        .unwrap();
        assert_eq!(
            faults.hit(Operation::Encrypt, None),
            Some(Effect::Error(code))
        );
    }
    let throttled = Effect::error(ErrorCode::Throttling, Operation::Encrypt);
    assert_eq!(throttled.message.as_deref(), Some("Rate exceeded"));
    assert_eq!(throttled.status(), 400);
}
