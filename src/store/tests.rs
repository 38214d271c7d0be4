//! Unit tests that need the private connection.

use super::*;

#[test]
fn migrations_validate() {
    MIGRATIONS.validate().unwrap();
}
