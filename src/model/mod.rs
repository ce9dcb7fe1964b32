//! The KMS vocabulary every layer stands on: identifiers, references, the AWS enums, the
//! operations of the API, and the key and alias records. `store` persists these values, `kms`
//! applies KMS's rules to them, `api` maps them to and from the wire. No rules that need state,
//! no HTTP, no JSON here.

mod enums;
mod ids;
mod key;
mod key_store;
mod operation;
mod policy;
mod time;

pub use enums::*;
pub use ids::*;
pub use key::*;
pub use key_store::*;
pub use operation::Operation;
pub use policy::{default_policy, is_default_policy};
pub use time::Timestamp;

#[cfg(test)]
mod tests;
