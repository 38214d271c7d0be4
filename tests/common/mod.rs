//! The one support tree of the integration tests: each test file says `mod common;` and uses
//! the parts it needs (`use common::e2e::*;`). Not every test uses every helper.
#![allow(dead_code, unused_imports)]

pub mod api;
pub mod bin;
pub mod display;
pub mod e2e;
pub mod hq;
pub mod pg;
pub mod receipts;
pub mod reports;
pub mod saft;
pub mod sim;
pub mod soak;
pub mod staff;
pub mod tmux;
pub mod tui;
