//! kmsd: a local server that speaks the AWS Key Management Service API.
//!
//! # Layout
//!
//! A call flows down through the layers; each uses only those below it, never one above.
//!
//! - [`server`]: HTTP. The KMS route `POST /` (reads the target, body and caller, makes the
//!   call's [`kms::Context`], awaits durability, logs, writes the audit trail), the admin API
//!   (health, the clock, reset) and the background sweep that applies rotations and
//!   deletions as they fall due. The admin API and the sweep call [`kms`] directly.
//! - [`api`]: the KMS JSON 1.1 protocol. Wire types, the parsing of each request into a
//!   typed input, the one operation table, the one error mapping.
//! - [`kms`]: the domain. KMS rules over keys and aliases; synchronous, no HTTP or JSON.
//! - [`store`] (persistence, the only module that names sled), [`crypto`] (library calls,
//!   bytes in, bytes out) and [`rsa_pool`] (RSA keys generated ahead, by a background thread).
//! - [`model`]: the vocabulary every layer stands on: ids, ARNs, the AWS enums, the
//!   operations, the key and alias records.
//! - [`iam`]: identities (`--identities`) and the policy language (parsing, matching,
//!   conditions), pure functions that `kms` applies when `--enforce-policies` is on.
//!
//! Beside them: [`seed`] turns seed files into a plan for [`kms`], as `api` turns requests;
//! [`config`] turns the command line into a [`config::Config`]; [`logging`] writes log lines
//! from a background thread; [`healthcheck`] is `kmsd healthcheck`, the client a container's
//! `HEALTHCHECK` runs, and [`remote`] is `kmsd export --endpoint`, which asks a running kmsd.

pub mod api;
pub mod calendar;
pub mod config;
pub mod crypto;
pub mod healthcheck;
pub mod iam;
pub mod kms;
pub mod logging;
pub mod model;
pub mod remote;
pub mod rsa_pool;
pub mod seed;
pub mod server;
pub mod store;

pub use kms::Kms;
pub use server::{ServeOptions, serve, serve_with_options};
