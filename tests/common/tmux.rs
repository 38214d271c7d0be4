//! The real `kasse` binary in a pseudo-terminal: one tmux server per test (its own socket,
//! `escape-time 0`), killed when the [`Tmux`] is dropped however the test ends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_kasse");

/// Whether tmux is installed. Under `CI=true` a missing tmux is a failure, never a skip.
pub fn have_tmux() -> bool {
    let ok = Command::new("tmux").arg("-V").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for the pseudo-terminal tests in CI"
        );
        eprintln!("skipped: tmux is not installed");
    }
    ok
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tmux session named `kasse` running one shell command at `width`×`height`.
pub struct Tmux {
    pub sock: String,
}

impl Tmux {
    /// Start `cmd` (a shell command line) in a fresh server named after `name` and this process.
    pub fn start(name: &str, width: u16, height: u16, cmd: &str) -> Tmux {
        let sock = format!("kasse-{name}-{}", std::process::id());
        let (w, h) = (width.to_string(), height.to_string());
        tmux(&[
            "-L",
            &sock,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "kasse",
            "-x",
            &w,
            "-y",
            &h,
            cmd,
        ]);
        tmux(&["-L", &sock, "set", "-g", "escape-time", "0"]);
        Tmux { sock }
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        tmux(&["-L", &self.sock, "capture-pane", "-p", "-t", "kasse"])
    }

    /// Wait until the screen shows `needle`; panic with the screen after `limit`.
    pub fn wait_for(&self, needle: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < limit,
                "no {needle:?} within {limit:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Send tmux key names (`"Enter"`, `"C-q"`, `"F12"`) or literal text, one at a time.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            tmux(&["-L", &self.sock, "send-keys", "-t", "kasse", k]);
            std::thread::sleep(Duration::from_millis(80));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        tmux(&["-L", &self.sock, "kill-server"]);
    }
}

/// Wait for a file the shell writes when the app exits (`kasse …; echo $? > file`).
pub fn wait_for_file(path: &Path, limit: Duration) -> String {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The shell may still be writing.
    std::thread::sleep(Duration::from_millis(100));
    std::fs::read_to_string(path).unwrap()
}

pub use super::bin::pin_install;
