//! engine (work in progress)
