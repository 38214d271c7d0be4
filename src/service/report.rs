//! X and Z reports.
