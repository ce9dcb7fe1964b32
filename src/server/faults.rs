//! Fault injection (`/_kmsd/faults`): rules that make matching KMS calls fail, slow down or
//! lose their connection, so that a client's retry and error paths can be tested locally.
//! A faulted call is answered before it runs, so it changes nothing. The rule's JSON shape is
//! fixed (scripts rely on it); the admin routes are in `admin.rs`, the matching in `call.rs`.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{ApiError, ErrorCode, error::INJECTABLE};
use crate::model::{KeyRef, Operation};

/// The rules in force, in the order they were added; the first that matches a call applies.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Mutex<Vec<Rule>>,
}

/// One rule as the admin API takes and lists it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RuleSpec {
    /// An operation name, or `*` for every operation.
    operation: String,
    /// Only calls that name this key (key id, key ARN, alias name or alias ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    /// The error to answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Latency to add before the call runs (it then runs normally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latency_ms: Option<u64>,
    /// Close the connection without an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    drop: Option<bool>,
    /// Apply to the next `count` matching calls, then retire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    /// Apply to each matching call with this probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    probability: Option<f64>,
}

/// What a fault does to the call it hits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// Answer this error.
    Error(ErrorCode),
    /// Wait this long, then run the call.
    Latency(Duration),
    /// Close the connection without an answer.
    Drop,
}

/// A checked rule.
#[derive(Debug)]
struct Rule {
    spec: RuleSpec,
    /// `None`: every operation.
    operation: Option<Operation>,
    /// The key the rule is for, as [`key_name`] normalizes it.
    key: Option<String>,
    effect: Effect,
    /// Matching calls left to fault, for a `count` rule.
    remaining: Option<u64>,
    probability: Option<f64>,
}

impl Effect {
    /// The effect as the log line and the audit record show it: the rule's own members.
    pub(crate) fn describe(&self) -> Value {
        match self {
            Effect::Error(code) => json!({ "error": code.as_str() }),
            Effect::Latency(latency) => json!({ "latencyMs": latency.as_millis() as u64 }),
            Effect::Drop => json!({ "drop": true }),
        }
    }

    /// The answer to a call faulted with an error.
    pub(crate) fn error(code: ErrorCode, operation: Operation) -> ApiError {
        match code {
            ErrorCode::Throttling => ApiError::throttled(),
            _ => ApiError::new(
                code,
                format!(
                    "kmsd fault injection: {operation} answered {}.",
                    code.as_str()
                ),
            ),
        }
    }
}

impl Faults {
    /// Adds a rule; the error says what is wrong with it.
    pub(crate) fn add(&self, spec: RuleSpec) -> Result<Value, String> {
        let rule = Rule::check(spec)?;
        let listed = rule.listed();
        self.lock().push(rule);
        Ok(listed)
    }

    /// The rules in force, each with `remaining` for a `count` rule.
    pub(crate) fn list(&self) -> Vec<Value> {
        self.lock().iter().map(Rule::listed).collect()
    }

    /// Removes every rule; returns how many there were.
    pub(crate) fn clear(&self) -> usize {
        std::mem::take(&mut *self.lock()).len()
    }

    /// The fault for a call of `operation` naming `key` (as given), if a rule hits it. A
    /// `count` rule that hits uses up one of its calls, and is removed after its last.
    pub(crate) fn hit(&self, operation: Operation, key: Option<&str>) -> Option<Effect> {
        let named = key.map(key_name);
        let mut rules = self.lock();
        let index = rules.iter().position(|rule| {
            rule.operation.is_none_or(|op| op == operation)
                && rule
                    .key
                    .as_ref()
                    .is_none_or(|want| named.as_deref() == Some(want.as_str()))
                && rule.probability.is_none_or(|p| chance() < p)
        })?;
        let rule = &mut rules[index];
        let effect = rule.effect.clone();
        if let Some(remaining) = &mut rule.remaining {
            *remaining -= 1;
            if *remaining == 0 {
                rules.remove(index);
            }
        }
        Some(effect)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Rule {
    fn check(spec: RuleSpec) -> Result<Rule, String> {
        let operation = match spec.operation.as_str() {
            "*" => None,
            name => Some(Operation::parse(name).ok_or_else(|| {
                format!("\"operation\" must be a KMS operation name or \"*\", not {name:?}.")
            })?),
        };
        let effect = match (&spec.error, spec.latency_ms, spec.drop) {
            (Some(name), None, None) => {
                Effect::Error(ErrorCode::injectable(name).ok_or_else(|| {
                    let names: Vec<&str> = INJECTABLE.iter().map(|c| c.as_str()).collect();
                    format!(
                        "\"error\" must be one of {}, not {name:?}.",
                        names.join(", ")
                    )
                })?)
            }
            (None, Some(ms), None) => Effect::Latency(Duration::from_millis(ms)),
            (None, None, Some(true)) => Effect::Drop,
            _ => {
                return Err(
                    "A rule needs exactly one of \"error\", \"latencyMs\" or \"drop\": true."
                        .into(),
                );
            }
        };
        match (spec.count, spec.probability) {
            (Some(0), _) => return Err("\"count\" must be at least 1.".into()),
            (Some(_), Some(_)) => {
                return Err("A rule takes \"count\" or \"probability\", not both.".into());
            }
            (_, Some(p)) if !(p > 0.0 && p <= 1.0) => {
                return Err(format!(
                    "\"probability\" must be greater than 0 and at most 1, not {p}."
                ));
            }
            _ => {}
        }
        Ok(Rule {
            key: spec.key_id.as_deref().map(key_name),
            operation,
            effect,
            remaining: spec.count,
            probability: spec.probability,
            spec,
        })
    }

    fn listed(&self) -> Value {
        let mut value = serde_json::to_value(&self.spec).unwrap_or_default();
        if let (Some(remaining), Value::Object(members)) = (self.remaining, &mut value) {
            members.insert("remaining".into(), remaining.into());
        }
        value
    }
}

/// A key reference reduced to what identifies it within a request's own scope: the key id of
/// a key ARN, the alias name of an alias ARN, anything else as given. A rule for a key id
/// then also hits calls that name the key by its ARN.
fn key_name(key: &str) -> String {
    match KeyRef::parse(key) {
        KeyRef::Arn { key_id, .. } => key_id,
        KeyRef::AliasArn { name, .. } => name,
        _ => key.to_owned(),
    }
}

/// A number in [0, 1) for probability rules: fault injection needs no cryptographic quality,
/// but UUID v4's random bits are at hand.
fn chance() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests;
