//! The `Condition` element: operators (`StringEquals`, `NumericLessThan`, `IpAddress`, ...,
//! with `IfExists` and the `ForAnyValue:`/`ForAllValues:` set qualifiers) applied to the
//! request's condition keys. A key the request does not have is absent, as in AWS: positive
//! operators are then false, negated ones (`StringNotEquals`, ...) true, `...IfExists` true,
//! `Null` says whether it is absent.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use super::PolicyError;
use super::policy::glob;
use crate::model::Timestamp;

/// A request's condition keys and their values (one for single-valued keys). Key names are
/// case-insensitive, as in IAM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(BTreeMap<String, Vec<String>>);

impl Values {
    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.0.insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    /// Sets a multivalued key (`kms:EncryptionContextKeys`, `kms:GrantOperations`, ...).
    pub fn set_many(&mut self, key: &str, values: impl IntoIterator<Item = String>) {
        self.0
            .insert(key.to_ascii_lowercase(), values.into_iter().collect());
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        self.0.remove(&key.to_ascii_lowercase());
    }

    /// A key's values, `None` when the request does not have it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.0.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }
}

/// One test of a `Condition` block: operator, key, values.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Condition {
    operator: Operator,
    set: Option<SetQualifier>,
    if_exists: bool,
    key: String,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// An operator; `negated` ones hold when their positive form does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    test: Test,
    negated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Ordering),
    Date(Ordering),
    Bool,
    BinaryEquals,
    IpAddress,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Condition {
    /// Parses a `Condition` element: `{"<operator>": {"<key>": <value or values>}}`.
    pub(super) fn parse_block(value: &Value) -> Result<Vec<Condition>, PolicyError> {
        let bad = |m: String| PolicyError(m);
        let Value::Object(operators) = value else {
            return Err(bad("Condition must be a JSON object.".into()));
        };
        let mut conditions = Vec::new();
        for (name, keys) in operators {
            let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
                (Some(SetQualifier::ForAnyValue), rest)
            } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
                (Some(SetQualifier::ForAllValues), rest)
            } else {
                (None, name.as_str())
            };
            let (base, if_exists) = match rest.strip_suffix("IfExists") {
                Some(base) => (base, true),
                None => (rest, false),
            };
            let operator = Operator::parse(base).ok_or_else(|| {
                bad(format!(
                    "Policy contains a condition with an unknown operator: {name}."
                ))
            })?;
            if operator.test == Test::Null && (if_exists || set.is_some()) {
                return Err(bad(format!(
                    "Policy contains a condition with an unknown operator: {name}."
                )));
            }
            let Value::Object(keys) = keys else {
                return Err(bad(format!(
                    "The {name} condition must map condition keys to values."
                )));
            };
            for (key, values) in keys {
                let values = match values {
                    Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
                    other => scalar(other).map(|v| vec![v]),
                }
                .ok_or_else(|| {
                    bad(format!(
                        "The values of condition key {key} must be strings, numbers or booleans."
                    ))
                })?;
                conditions.push(Condition {
                    operator,
                    set,
                    if_exists,
                    key: key.to_ascii_lowercase(),
                    values,
                });
            }
        }
        Ok(conditions)
    }

    /// Whether the condition holds for the request's keys.
    pub(super) fn holds(&self, request: &Values) -> bool {
        let present = request.get(&self.key).filter(|v| !v.is_empty());
        if self.operator.test == Test::Null {
            let wants_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return present.is_none() == wants_absent;
        }
        let Some(values) = present else {
            return match self.set {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => self.if_exists || self.operator.negated,
            };
        };
        // Whether one request value matches the condition (for a negated operator: matches
        // none of the policy's values).
        let one = |value: &str| {
            let positive = self
                .values
                .iter()
                .any(|p| self.operator.test.matches(value, p));
            positive != self.operator.negated
        };
        match self.set {
            Some(SetQualifier::ForAllValues) => values.iter().all(|v| one(v)),
            Some(SetQualifier::ForAnyValue) => values.iter().any(|v| one(v)),
            None if self.operator.negated => !values
                .iter()
                .any(|v| self.values.iter().any(|p| self.operator.test.matches(v, p))),
            None => values.iter().any(|v| one(v)),
        }
    }
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        use Ordering as O;
        let (test, negated) = match name {
            "StringEquals" => (Test::StringEquals, false),
            "StringNotEquals" => (Test::StringEquals, true),
            "StringEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, true),
            "StringLike" => (Test::StringLike, false),
            "StringNotLike" => (Test::StringLike, true),
            "NumericEquals" => (Test::Numeric(O::Equals), false),
            "NumericNotEquals" => (Test::Numeric(O::Equals), true),
            "NumericLessThan" => (Test::Numeric(O::LessThan), false),
            "NumericLessThanEquals" => (Test::Numeric(O::LessThanEquals), false),
            "NumericGreaterThan" => (Test::Numeric(O::GreaterThan), false),
            "NumericGreaterThanEquals" => (Test::Numeric(O::GreaterThanEquals), false),
            "DateEquals" => (Test::Date(O::Equals), false),
            "DateNotEquals" => (Test::Date(O::Equals), true),
            "DateLessThan" => (Test::Date(O::LessThan), false),
            "DateLessThanEquals" => (Test::Date(O::LessThanEquals), false),
            "DateGreaterThan" => (Test::Date(O::GreaterThan), false),
            "DateGreaterThanEquals" => (Test::Date(O::GreaterThanEquals), false),
            "Bool" => (Test::Bool, false),
            "BinaryEquals" => (Test::BinaryEquals, false),
            "IpAddress" => (Test::IpAddress, false),
            "NotIpAddress" => (Test::IpAddress, true),
            "ArnEquals" | "ArnLike" => (Test::Arn, false),
            "ArnNotEquals" | "ArnNotLike" => (Test::Arn, true),
            "Null" => (Test::Null, false),
            _ => return None,
        };
        Some(Operator { test, negated })
    }
}

impl Test {
    /// Whether the request's `value` matches the policy's `pattern` (the positive form).
    fn matches(self, value: &str, pattern: &str) -> bool {
        match self {
            Test::StringEquals | Test::BinaryEquals => value == pattern,
            Test::StringEqualsIgnoreCase => value.eq_ignore_ascii_case(pattern),
            Test::StringLike | Test::Arn => glob(pattern, value),
            Test::Bool => value.eq_ignore_ascii_case(pattern),
            Test::Numeric(ordering) => match (value.parse::<f64>(), pattern.parse::<f64>()) {
                (Ok(v), Ok(p)) => ordering.holds(v.partial_cmp(&p)),
                _ => false,
            },
            Test::Date(ordering) => match (date(value), date(pattern)) {
                (Some(v), Some(p)) => ordering.holds(Some(v.cmp(&p))),
                _ => false,
            },
            Test::IpAddress => match (value.parse::<IpAddr>(), cidr(pattern)) {
                (Ok(ip), Some((net, bits))) => in_network(ip, net, bits),
                _ => false,
            },
            Test::Null => false,
        }
    }
}

impl Ordering {
    fn holds(self, order: Option<std::cmp::Ordering>) -> bool {
        use std::cmp::Ordering as C;
        let Some(order) = order else {
            return false;
        };
        match self {
            Ordering::Equals => order == C::Equal,
            Ordering::LessThan => order == C::Less,
            Ordering::LessThanEquals => order != C::Greater,
            Ordering::GreaterThan => order == C::Greater,
            Ordering::GreaterThanEquals => order != C::Less,
        }
    }
}

/// A condition value as text: strings as they are, numbers and booleans as JSON writes them.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A date as IAM takes it: ISO 8601 (`2026-01-31T12:00:00Z`, or a bare date) or epoch
/// seconds; in milliseconds.
fn date(text: &str) -> Option<u64> {
    if let Ok(seconds) = text.parse::<u64>() {
        return seconds.checked_mul(1000);
    }
    if text.len() == 10 {
        return Timestamp::parse_rfc3339(&format!("{text}T00:00:00Z")).map(|t| t.0);
    }
    Timestamp::parse_rfc3339(text).map(|t| t.0)
}

/// `192.0.2.0/24`, `2001:db8::/32`, or a single address.
fn cidr(text: &str) -> Option<(IpAddr, u32)> {
    match text.split_once('/') {
        Some((ip, bits)) => {
            let ip: IpAddr = ip.parse().ok()?;
            let bits: u32 = bits.parse().ok()?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            (bits <= max).then_some((ip, bits))
        }
        None => {
            let ip: IpAddr = text.parse().ok()?;
            Some((ip, if ip.is_ipv4() { 32 } else { 128 }))
        }
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V4(_)) => ip
            .to_ipv4_mapped()
            .is_some_and(|v4| in_network(IpAddr::V4(v4), net, bits)),
        _ => false,
    }
}
