#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real binary's screen stays responsive while Vipps does not answer (issue #8, offline).
//!
//! Vipps is a "black hole": a listener on loopback that accepts every connection and never
//! answers, the worst case for a till (a hung proxy or captive portal: no error, just silence).
//! While the payment's create hangs on it, the cashier's screen must keep drawing the clock,
//! open and close help, and refuse to quit mid-payment with a message. Then the black hole goes
//! away (connections refused): the status bar must turn to OFFLINE while the screen still
//! answers keys. Before that, once the create's read timeout passes, it must say that Vipps is
//! not answering (neither "online" nor "offline"). Nothing here asserts a time of the app's own beyond generous bounds.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kasse");

fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok()
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every screen this test looked at, checked for secrets at the end.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn screen(sock: &str) -> String {
    let s = tmux(&["-L", sock, "capture-pane", "-p", "-t", "kasse"]);
    SEEN.lock().unwrap().push(s.clone());
    s
}

fn wait_for(sock: &str, needle: &str, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let s = screen(sock);
        if s.contains(needle) {
            return s;
        }
        if start.elapsed() > limit {
            tmux(&["-L", sock, "kill-server"]);
            panic!("no {needle:?} within {limit:?}; screen:\n{s}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn keys(sock: &str, keys: &[&str]) {
    for k in keys {
        tmux(&["-L", sock, "send-keys", "-t", "kasse", k]);
        std::thread::sleep(Duration::from_millis(60));
    }
}

/// Ends the tmux server (and the app in it) however the test ends.
struct Server(String);

impl Drop for Server {
    fn drop(&mut self) {
        tmux(&["-L", &self.0, "kill-server"]);
    }
}

/// The clock at the right end of the status bar (last line): `HH:MM:SS`.
fn clock(s: &str) -> String {
    let last = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    last.split_whitespace().last().unwrap_or("").to_owned()
}

/// Accepts and holds connections, reading and dropping whatever arrives, never answering.
struct BlackHole {
    port: u16,
    stop: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BlackHole {
    fn start() -> BlackHole {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (s, h) = (stop.clone(), held.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !s.load(Ordering::Relaxed) {
                if let Ok((c, _)) = listener.accept() {
                    c.set_nonblocking(true).unwrap();
                    h.lock().unwrap().push(c);
                }
                for c in h.lock().unwrap().iter_mut() {
                    let _ = c.read(&mut buf);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // Dropping the listener and the held connections: from now on connects are refused.
        });
        BlackHole {
            port,
            stop,
            held,
            thread: Some(thread),
        }
    }

    fn close(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.held.lock().unwrap().clear();
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.close();
    }
}

#[test]
fn screen_answers_keys_while_vipps_hangs_and_then_shows_offline() {
    if !have_tmux() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for the pseudo-terminal test in CI"
        );
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let mut hole = BlackHole::start();
    let dir = tempfile::tempdir().unwrap();
    pin_install(&dir.path().join("data"));
    let sock = format!("kasse-offline-{}", std::process::id());
    let _server = Server(sock.clone());
    // The simulator's default credentials, Vipps' shortest read timeout, and a free port for
    // the PSP endpoint (other tests run the binary at the same time).
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[vipps]\nenvironment = \"sim\"\nbase_url = \"http://127.0.0.1:{}\"\n\
             connect_timeout_ms = 1000\nread_timeout_ms = 5000\n\
             [psp]\nmake_payment_listen = \"127.0.0.1:0\"\n",
            hole.port
        ),
    )
    .unwrap();
    let cmd = format!(
        "{BIN} --config {} --data-dir {}; sleep 30",
        config.display(),
        dir.path().join("data").display()
    );
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
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    tmux(&["-L", &sock, "set", "-g", "escape-time", "0"]);
    wait_for(&sock, "MSN 123456", Duration::from_secs(60));

    keys(&sock, &["7038010001000", "Enter"]);
    wait_for(&sock, "Kvikk Lunsj", Duration::from_secs(10));
    keys(&sock, &["F12", "4791234567", "Enter"]);
    let s = wait_for(&sock, "Oppretter betaling", Duration::from_secs(10));
    assert!(s.contains("kasse-s1-t1-00000001-000001-a1"), "{s}");

    // The create hangs on the black hole; the screen still draws and answers.
    let before = clock(&s);
    let start = Instant::now();
    loop {
        let now = clock(&screen(&sock));
        if now != before && !now.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the clock stopped at {before} while Vipps hangs:\n{}",
            screen(&sock)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    keys(&sock, &["F1"]);
    wait_for(&sock, "Hjelp – taster", Duration::from_secs(3));
    keys(&sock, &["Escape"]);
    let s = wait_for(&sock, "Oppretter betaling", Duration::from_secs(3));
    assert!(!s.contains("Hjelp – taster"), "help did not close:\n{s}");
    // Quitting mid-payment is refused with a reason, not ignored and not obeyed.
    keys(&sock, &["C-q"]);
    let s = screen(&sock);
    assert!(s.contains("MSN 123456"), "the app quit mid-payment:\n{s}");

    // The create's read timeout (5 s here) passes without an answer: the status bar
    // and the warning line say Vipps is not answering (not "online", not yet "offline"), and
    // the payment is still waiting, not failed.
    let s = wait_for(&sock, "Vipps: SVARER IKKE", Duration::from_secs(40));
    assert!(s.contains("kasse-s1-t1-00000001-000001-a1"), "{s}");
    // (The quit refusal above is shown until the next key; then the warning line is back.)
    keys(&sock, &["F1"]);
    wait_for(&sock, "Hjelp – taster", Duration::from_secs(3));
    keys(&sock, &["Escape"]);
    wait_for(&sock, "Ikke ta betalt på nytt", Duration::from_secs(3));

    // Vipps is now unreachable (connections refused): the status bar says so.
    hole.close();
    let s = wait_for(&sock, "Vipps: FRAKOBLET", Duration::from_secs(60));
    assert!(s.contains("kasse-s1-t1-00000001-000001-a1"), "{s}");
    keys(&sock, &["F1"]);
    wait_for(&sock, "Hjelp – taster", Duration::from_secs(3));
    tmux(&["-L", &sock, "kill-server"]);

    // No secret was ever on the screen (the default config carries the simulator's).
    let seen = SEEN.lock().unwrap();
    assert!(seen.len() > 10, "only {} screens captured", seen.len());
    for s in seen.iter() {
        for secret in ["kasse-sim-secret", "kasse-sim-subscription-key"] {
            assert!(!s.contains(secret), "{secret} on screen:\n{s}");
        }
    }
    drop(seen);

    // Nothing was given up: the payment is still unfinished in the journal, to be read back.
    let store = kasse::store::Store::open_in_dir(&dir.path().join("data")).unwrap();
    let p = store
        .payment_by_reference("kasse-s1-t1-00000001-000001-a1")
        .unwrap()
        .expect("payment journaled before the network call");
    assert_eq!(p.amount, 2490);
    assert!(
        store
            .unfinished_payments()
            .unwrap()
            .iter()
            .any(|u| u.reference == "kasse-s1-t1-00000001-000001-a1"),
        "an unanswered create was given up (state {}): it must stay to be read back",
        p.state.as_str()
    );
    // Vipps gone (no connection) is emergency mode in the fiscal journal (13026), once; a slow
    // Vipps ("not answering") was not.
    let emergency: Vec<_> = store
        .fiscal_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.code == "13026" || e.code == "13027")
        .collect();
    assert_eq!(emergency.len(), 1, "{emergency:?}");
    assert_eq!(emergency[0].code, "13026");
    assert!(
        emergency[0].detail.contains("Vipps unreachable"),
        "{emergency:?}"
    );
}

/// Pin the install id of the database in `dir` to `00000001`, so the references this test
/// expects are predictable.
fn pin_install(dir: &std::path::Path) {
    kasse::store::Store::open_in_dir(dir)
        .unwrap()
        .with_id_gen(std::sync::Arc::new(kasse::clock::FixedFirstIds::pinned(1)))
        .install_id()
        .unwrap();
}
