//! Configuration (work in progress)
