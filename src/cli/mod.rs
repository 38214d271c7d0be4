//! Bodies of small subcommands, one file each (`main.rs` only parses and dispatches).

pub mod display;
