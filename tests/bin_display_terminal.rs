#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real binary twice, in two terminals (tmux): a `--demo` till with `[display] listen` on
//! a loopback port, and `kasse display` following it. An item scanned at the till appears on
//! the customer's terminal with the total; `q` closes the display with exit 0 and the terminal
//! restored (the shell's own text is back).

mod common;

use common::tmux::{BIN, Tmux, have_tmux, wait_for_file};
use std::time::Duration;

const KVIKK: &str = "7038010001000"; // Kvikk Lunsj 47 g, kr 24,90 (the demo catalogue)

#[test]
fn kasse_display_follows_a_running_till() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!("[display]\nlisten = \"127.0.0.1:{port}\"\nlanguage = \"nb\"\n"),
    )
    .unwrap();
    let till_cmd = format!(
        "{BIN} --demo --config {} --data-dir {}; sleep 30",
        cfg.display(),
        dir.path().join("till").display()
    );
    let till = Tmux::start("display-till", 120, 40, &till_cmd);
    till.wait_for("F12", Duration::from_secs(60));

    let status = dir.path().join("status");
    let display_cmd = format!(
        "{BIN} --config {} --data-dir {} display; echo \"exit $?\" > {}; echo display-closed; sleep 30",
        cfg.display(),
        dir.path().join("display").display(),
        status.display()
    );
    let display = Tmux::start("display-term", 80, 24, &display_cmd);
    display.wait_for("Velkommen", Duration::from_secs(30));

    till.keys(&[KVIKK, "Enter"]);
    let s = display.wait_for("Kvikk Lunsj", Duration::from_secs(30));
    assert!(s.contains("kr 24,90"), "{s}");

    display.keys(&["q"]);
    assert_eq!(
        wait_for_file(&status, Duration::from_secs(10)).trim(),
        "exit 0"
    );
    // Out of the alternate screen: the shell's line is visible again.
    display.wait_for("display-closed", Duration::from_secs(10));
}
