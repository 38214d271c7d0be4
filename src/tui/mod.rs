//! tui (work in progress)
