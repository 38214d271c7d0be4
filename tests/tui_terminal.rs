#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The panic hook restores the terminal and then calls the hook that was there before
//! (its own test binary, because panic hooks are process-global).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn panic_hook_chains_to_the_previous_hook() {
    let called = Arc::new(AtomicBool::new(false));
    let flag = called.clone();
    std::panic::set_hook(Box::new(move |_| flag.store(true, Ordering::SeqCst)));
    kasse::tui::terminal::install_panic_hook();
    // Installing twice must not chain the hook to itself.
    kasse::tui::terminal::install_panic_hook();
    let result = std::panic::catch_unwind(|| panic!("boom"));
    assert!(result.is_err());
    assert!(
        called.load(Ordering::SeqCst),
        "previous hook was not called"
    );
    // restore() is idempotent and never panics, even without a terminal.
    kasse::tui::terminal::restore();
    kasse::tui::terminal::restore();
    let _ = std::panic::take_hook();
}
