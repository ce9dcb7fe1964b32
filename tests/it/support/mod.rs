//! Test support for the `it` binary. Each module holds one kind of helper; this file lists
//! them, holds the default scope, and re-exports what most test files use.
//!
//! - `server`: [`TestServer`], an in-process kmsd on 127.0.0.1:0, and SDK clients for it.
//! - `raw`: hand-built HTTP requests for what the SDK cannot send.
//! - `process`: the `kmsd` binary as a child process.
//! - `keys`: creating keys of any spec and usage, and the calls most tests start from.
//! - `lifecycle`: scheduling deletion; enabling, reading and listing rotations.
//! - `fixtures`: committed RSA_3072/RSA_4096 keys, so tests need not wait for prime generation.
//! - `arns`, `errors`: ARNs, SDK error checks and the AWS messages tests pin.
//! - `tools`: the outside tools kmsd is checked against (crosscheck.py, openssl), and hex.
//! - `http`, `logged`: requests with any Host or Origin, and servers whose log lines a test
//!   reads.
//! - `keepalive`: one keep-alive connection for tests that send thousands of calls.

pub mod arns;
pub mod errors;
pub mod fixtures;
pub mod http;
pub mod identities;
pub mod keepalive;
pub mod keys;
pub mod lifecycle;
pub mod logged;
pub mod process;
pub mod raw;
pub mod server;
pub mod tools;

pub use errors::check_error;
pub use keys::{aliases_with_keys, create_key, key_state, metadata};
pub use raw::RawRequest;
pub use server::{TestServer, client_at, client_signing};
pub use tools::tool_available;

/// The default account of every test server.
pub const ACCOUNT: &str = "123456789012";
/// The default region of every test server.
pub const REGION: &str = "us-east-1";
/// Seconds in a day.
pub const DAY: u64 = 86_400;
