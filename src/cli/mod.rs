//! The command-line subcommands (the integrator moves the others here).

pub mod staff;
