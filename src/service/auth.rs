//! Login, lockout and the manager gate.
