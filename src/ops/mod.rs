//! Running kasse safely on a shop's machine: one process owns a data directory
//! ([`lock`]), files holding staff or money data are private ([`perms`]), and the journal is
//! backed up online and restored into an empty directory ([`backup`]).
//!
//! Imperative shell: file-system and process IO only; the SQL these use lives in
//! [`crate::store`].

pub mod backup;
pub mod lock;
pub mod perms;
