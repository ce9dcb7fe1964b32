//! AWS KMS's resource quotas where a client can see them: keys per account and region,
//! aliases per key, grants per key and per grantee, tags per key and key policy size. A call
//! that would exceed one fails (`LimitExceededException`; tags, as before, `TagException`)
//! and changes nothing. The defaults are AWS's ("Resource quotas" in the Developer Guide,
//! <https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html>); `--quotas`
//! changes them, so that a test can reach one with a handful of calls.

use std::fmt;

/// The quotas one `Kms` enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Customer managed keys per account and region, in any key state (AWS: 100,000).
    pub keys: usize,
    /// Aliases per key, not counting AWS managed aliases (AWS: 50).
    pub aliases_per_key: usize,
    /// Grants per key (AWS: 50,000).
    pub grants_per_key: usize,
    /// Grants per key for one grantee principal (AWS: 500).
    pub grants_per_grantee: usize,
    /// Tags per key (AWS: 50).
    pub tags_per_key: usize,
    /// Bytes of a key policy document (AWS: 32 KiB).
    pub key_policy_bytes: usize,
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas {
            keys: 100_000,
            aliases_per_key: 50,
            grants_per_key: 50_000,
            grants_per_grantee: 500,
            tags_per_key: 50,
            key_policy_bytes: 32 * 1024,
        }
    }
}

/// The names `--quotas` takes, in the order [`Quotas`] lists them.
const NAMES: [&str; 6] = [
    "keys",
    "aliases-per-key",
    "grants-per-key",
    "grants-per-grantee",
    "tags-per-key",
    "key-policy-bytes",
];

impl Quotas {
    /// `--quotas`: comma-separated `name=number` pairs over AWS's defaults, e.g.
    /// `keys=10,aliases-per-key=2`; empty: the defaults.
    pub fn parse(text: &str) -> Result<Quotas, String> {
        let mut quotas = Quotas::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("expected NAME=NUMBER, not {item:?}"))?;
            let value: usize = value
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} must be a whole number greater than 0"))?;
            let slot = match name.trim() {
                "keys" => &mut quotas.keys,
                "aliases-per-key" => &mut quotas.aliases_per_key,
                "grants-per-key" => &mut quotas.grants_per_key,
                "grants-per-grantee" => &mut quotas.grants_per_grantee,
                "tags-per-key" => &mut quotas.tags_per_key,
                "key-policy-bytes" => &mut quotas.key_policy_bytes,
                other => {
                    return Err(format!("unknown quota {other:?}: use {}", NAMES.join(", ")));
                }
            };
            *slot = value;
        }
        Ok(quotas)
    }
}

impl fmt::Display for Quotas {
    /// The form `--quotas` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = [
            self.keys,
            self.aliases_per_key,
            self.grants_per_key,
            self.grants_per_grantee,
            self.tags_per_key,
            self.key_policy_bytes,
        ];
        let pairs: Vec<String> = NAMES
            .iter()
            .zip(values)
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        f.write_str(&pairs.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_aws_s_and_round_trip() {
        let quotas = Quotas::parse("").unwrap();
        assert_eq!(quotas, Quotas::default());
        assert_eq!(
            quotas.to_string(),
            "keys=100000,aliases-per-key=50,grants-per-key=50000,grants-per-grantee=500,\
             tags-per-key=50,key-policy-bytes=32768"
        );
        assert_eq!(Quotas::parse(&quotas.to_string()).unwrap(), quotas);
    }

    #[test]
    fn named_quotas_change_and_the_rest_stay() {
        let quotas = Quotas::parse("keys=3, aliases-per-key=2,tags-per-key=1").unwrap();
        assert_eq!(quotas.keys, 3);
        assert_eq!(quotas.aliases_per_key, 2);
        assert_eq!(quotas.tags_per_key, 1);
        assert_eq!(quotas.grants_per_key, 50_000);
    }

    #[test]
    fn bad_quotas_are_refused() {
        for (text, reason) in [
            ("keys", "NAME=NUMBER"),
            ("keys=0", "greater than 0"),
            ("keys=-1", "greater than 0"),
            ("keys=many", "greater than 0"),
            ("aliases=2", "unknown quota"),
        ] {
            let error = Quotas::parse(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }
}
