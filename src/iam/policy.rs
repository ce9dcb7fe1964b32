//! Policy documents: parsed once from JSON into statements, then matched against requests.
//! The grammar is IAM's (`Version`, `Id`, `Statement` with `Sid`, `Effect`,
//! `Principal`/`NotPrincipal`, `Action`/`NotAction`, `Resource`/`NotResource`, `Condition`);
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>.

use std::fmt;

use serde_json::Value;

use super::Principal;
use super::condition::{Condition, Values};

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Its statements, in document order.
    pub statements: Vec<Statement>,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`, when given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    principals: Principals,
    actions: Names,
    resources: Names,
    conditions: Vec<Condition>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// Why a document is not a policy, in words for `MalformedPolicyDocumentException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a statement is matched against: who asks for which action on which resource, with
/// which condition keys.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// `kms:Decrypt`, ...
    pub action: &'a str,
    /// The resource's ARN, or `*` for actions on no resource.
    pub resource: &'a str,
    /// The request's condition keys.
    pub values: &'a Values,
}

/// How a statement's `Principal` names the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Match {
    /// Through the caller's account (its root ARN or id): AWS lets the account's IAM policies
    /// decide.
    Account,
    /// The caller itself (its ARN, its role for a session, or `*`), or a statement of an
    /// identity policy, which has no principal.
    Direct,
}

/// `Principal`, `NotPrincipal`, or neither (identity policies).
#[derive(Debug, Clone, PartialEq)]
enum Principals {
    Unspecified,
    Principal(Vec<String>),
    NotPrincipal(Vec<String>),
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: patterns, and whether they exclude.
#[derive(Debug, Clone, PartialEq)]
struct Names {
    patterns: Vec<String>,
    negated: bool,
}

impl Policy {
    /// Parses a key policy: every statement names a principal.
    pub fn parse_key_policy(text: &str) -> Result<Policy, PolicyError> {
        let policy = Policy::parse(text)?;
        if policy
            .statements
            .iter()
            .any(|s| s.principals == Principals::Unspecified)
        {
            return Err(error("Policy contains a statement with no principal."));
        }
        Ok(policy)
    }

    /// Parses an identity-based policy: no statement names a principal.
    pub fn parse_identity_policy(text: &str) -> Result<Policy, PolicyError> {
        let policy = Policy::parse(text)?;
        if policy
            .statements
            .iter()
            .any(|s| s.principals != Principals::Unspecified)
        {
            return Err(error(
                "An identity-based policy cannot name a Principal or NotPrincipal.",
            ));
        }
        Ok(policy)
    }

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        let document: Value = serde_json::from_str(text)
            .map_err(|e| error(format!("The policy document is not valid JSON: {e}.")))?;
        let Value::Object(members) = document else {
            return Err(error("The policy document must be a JSON object."));
        };
        let mut statements = None;
        for (name, value) in &members {
            match name.as_str() {
                "Version" => match value.as_str() {
                    Some("2012-10-17" | "2008-10-17") => {}
                    _ => {
                        return Err(error(
                            "The policy's Version must be \"2012-10-17\" or \"2008-10-17\".",
                        ));
                    }
                },
                "Id" => {
                    if !value.is_string() {
                        return Err(error("The policy's Id must be a string."));
                    }
                }
                "Statement" => {
                    statements = Some(match value {
                        Value::Array(items) => {
                            items.iter().map(statement).collect::<Result<Vec<_>, _>>()?
                        }
                        Value::Object(_) => vec![statement(value)?],
                        _ => {
                            return Err(error("Statement must be an object or a list of objects."));
                        }
                    });
                }
                other => {
                    return Err(error(format!(
                        "The policy document has an element IAM does not know: {other}."
                    )));
                }
            }
        }
        let statements = statements
            .ok_or_else(|| error("The policy document must be a JSON object with a Statement."))?;
        Ok(Policy { statements })
    }

    /// The first `Deny` statement that applies to the request.
    pub fn denying(&self, request: &Request<'_>) -> Option<&Statement> {
        self.statements
            .iter()
            .filter(|s| s.effect == Effect::Deny)
            .find(|s| s.applies(request).is_some())
    }

    /// The `Allow` statement that applies to the request, preferring one that names the caller
    /// itself over one that names its account.
    pub fn allowing(&self, request: &Request<'_>) -> Option<(&Statement, Match)> {
        self.statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .filter_map(|s| s.applies(request).map(|m| (s, m)))
            .max_by_key(|(_, m)| *m)
    }
}

impl Statement {
    /// How the statement applies to the request, if it does.
    fn applies(&self, request: &Request<'_>) -> Option<Match> {
        let matched = self.principal_match(request.principal)?;
        let action = self.actions.patterns.iter().any(|p| {
            glob(
                &p.to_ascii_lowercase(),
                &request.action.to_ascii_lowercase(),
            )
        });
        let resource = self
            .resources
            .patterns
            .iter()
            .any(|p| glob(p, request.resource));
        if action == self.actions.negated || resource == self.resources.negated {
            return None;
        }
        self.conditions
            .iter()
            .all(|c| c.holds(request.values))
            .then_some(matched)
    }

    fn principal_match(&self, principal: &Principal) -> Option<Match> {
        match &self.principals {
            Principals::Unspecified => Some(Match::Direct),
            Principals::Principal(entries) => {
                if entries.iter().any(|e| principal.is_named_by(e)) {
                    Some(Match::Direct)
                } else if entries.iter().any(|e| principal.is_account_entry(e)) {
                    Some(Match::Account)
                } else {
                    None
                }
            }
            Principals::NotPrincipal(entries) => (!entries
                .iter()
                .any(|e| principal.is_named_by(e) || principal.is_account_entry(e)))
            .then_some(Match::Direct),
        }
    }

    /// The statement as the audit trail names it: its `Sid`, else its place.
    pub fn describe(&self, index: usize) -> String {
        match &self.sid {
            Some(sid) => format!("statement {sid:?}"),
            None => format!("statement {}", index + 1),
        }
    }
}

fn error(message: impl Into<String>) -> PolicyError {
    PolicyError(message.into())
}

fn statement(value: &Value) -> Result<Statement, PolicyError> {
    let Value::Object(members) = value else {
        return Err(error("Each statement must be a JSON object."));
    };
    let mut sid = None;
    let mut effect = None;
    let mut principals = Principals::Unspecified;
    let mut actions = None;
    let mut resources = None;
    let mut conditions = Vec::new();
    for (name, value) in members {
        match name.as_str() {
            "Sid" => {
                sid = Some(
                    value
                        .as_str()
                        .ok_or_else(|| error("Sid must be a string."))?
                        .to_owned(),
                )
            }
            "Effect" => {
                effect = Some(match value.as_str() {
                    Some("Allow") => Effect::Allow,
                    Some("Deny") => Effect::Deny,
                    _ => return Err(error("Effect must be \"Allow\" or \"Deny\".")),
                })
            }
            "Principal" | "NotPrincipal" => {
                if principals != Principals::Unspecified {
                    return Err(error(
                        "A statement has either a Principal or a NotPrincipal, not both.",
                    ));
                }
                let entries = principal_entries(value)?;
                principals = if name == "Principal" {
                    Principals::Principal(entries)
                } else {
                    Principals::NotPrincipal(entries)
                };
            }
            "Action" | "NotAction" => {
                if actions.is_some() {
                    return Err(error(
                        "A statement has either an Action or a NotAction, not both.",
                    ));
                }
                actions = Some(Names {
                    patterns: strings(value, name)?,
                    negated: name == "NotAction",
                });
            }
            "Resource" | "NotResource" => {
                if resources.is_some() {
                    return Err(error(
                        "A statement has either a Resource or a NotResource, not both.",
                    ));
                }
                resources = Some(Names {
                    patterns: strings(value, name)?,
                    negated: name == "NotResource",
                });
            }
            "Condition" => conditions = Condition::parse_block(value)?,
            other => {
                return Err(error(format!(
                    "A statement has an element IAM does not know: {other}."
                )));
            }
        }
    }
    Ok(Statement {
        sid,
        effect: effect.ok_or_else(|| error("Each statement needs an Effect."))?,
        principals,
        actions: actions.ok_or_else(|| error("Each statement needs an Action or NotAction."))?,
        resources: resources
            .ok_or_else(|| error("Each statement needs a Resource or NotResource."))?,
        conditions,
    })
}

/// A `Principal` value: `"*"` or `{"AWS": ..., "Service": ..., ...}`. Only `AWS` entries
/// can name a caller of kmsd; service principals are kept as their names, which no caller has.
fn principal_entries(value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) if s == "*" => Ok(vec!["*".into()]),
        Value::Object(kinds) => {
            let mut entries = Vec::new();
            for (kind, names) in kinds {
                let names = strings(names, kind)?;
                match kind.as_str() {
                    "AWS" => entries.extend(names),
                    "Service" | "Federated" | "CanonicalUser" => {
                        entries.extend(names.into_iter().map(|n| format!("{kind}:{n}")))
                    }
                    other => {
                        return Err(error(format!(
                            "Policy contains a statement with an unknown principal type: {other}."
                        )));
                    }
                }
            }
            Ok(entries)
        }
        _ => Err(error(
            "A Principal must be \"*\" or an object such as {\"AWS\": \"<ARN>\"}.",
        )),
    }
}

/// A string or a non-empty list of strings.
fn strings(value: &Value, element: &str) -> Result<Vec<String>, PolicyError> {
    let bad = || error(format!("{element} must be a string or a list of strings."));
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

/// IAM's wildcard match: `*` is any run of characters, `?` any one character.
pub(super) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
