//! Integration tests: the official `aws-sdk-kms` client (and raw HTTP where the SDK cannot go)
//! against an in-process kmsd on 127.0.0.1:0.

// Support items are `pub` for the sibling modules of this one test binary.
#![allow(unreachable_pub)]
// Test helpers panic on unexpected results by design, like the tests that call them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod aliases;
mod asymmetric;
mod aws_cli;
mod binary;
mod browser;
mod compat;
mod concurrency;
mod connections;
mod console;
mod crash;
mod data_dir;
mod deletion;
mod encapsulation;
mod encryption;
mod faults;
mod fuzz;
mod grants;
mod import;
mod key_stores;
mod keys;
mod matrix;
mod multi_region;
mod multi_region_import;
mod observability;
mod papercuts;
mod parity;
mod permissions;
mod persistence;
mod policies;
mod quotas;
mod recipient;
mod rotation;
mod scoping;
mod security;
mod seed;
mod signatures;
mod support;
mod tags;
mod tidy;
mod usage;
mod wire_errors;
mod wycheproof;
