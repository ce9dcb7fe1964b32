//! kmsd: a local server that speaks the AWS Key Management Service API.
//!
//! # Layout
//!
//! Requests flow down through four layers; each only calls the one below it.
//!
//! - [`server`]: HTTP. One axum route, `POST /`; reads the target, body and caller.
//! - [`api`]: the KMS JSON 1.1 protocol. Wire types, the one dispatch table, the one error
//!   mapping.
//! - [`kms`]: the domain. KMS rules over keys and aliases; synchronous, no HTTP or JSON.
//! - [`store`] (persistence, the only module that names sled) and [`crypto`] (bytes in,
//!   bytes out).
//!
//! [`config`] turns the command line into a [`config::Config`]; [`audit`] writes the audit
//! trail; [`logging`] writes log lines from a background thread; [`healthcheck`] is `kmsd healthcheck`, the client a container's `HEALTHCHECK` runs.
//! Beside the KMS API, `server` mounts the admin API (`admin.rs`: health, the clock, reset) and
//! runs the background task that applies rotations and deletions as they fall due
//! (`sweeper.rs`).

mod admin;
pub mod api;
pub mod audit;
pub mod config;
pub mod crypto;
pub mod healthcheck;
pub mod kms;
pub mod logging;
pub mod seed;
pub mod server;
pub mod store;
mod sweeper;

pub use kms::Kms;
pub use server::{ServeOptions, serve, serve_with_options};
