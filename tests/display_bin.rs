//! The real `kasse` binary and its customer display: `--demo` in a pseudo-terminal (tmux)
//! prints the display's address, and the display's event stream follows the sale typed at the
//! till (lines, QR payment with its link, paid) until the till quits. `kasse display-url`
//! prints the pairing token for a network display, keeps it 0600 and never logs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kasse");

fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok()
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_screen(sock: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux(&["-L", sock, "capture-pane", "-p", "-t", "kasse"]);
        if screen.contains(needle) {
            return screen;
        }
        if start.elapsed() > Duration::from_secs(60) {
            tmux(&["-L", sock, "kill-server"]);
            panic!("timed out waiting for {needle:?}; screen:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn keys(sock: &str, keys: &[&str]) {
    for k in keys {
        tmux(&["-L", sock, "send-keys", "-t", "kasse", k]);
        std::thread::sleep(Duration::from_millis(80));
    }
}

/// Events from the stream until one satisfies `want`.
async fn event_until(
    resp: &mut reqwest::Response,
    buf: &mut String,
    what: &str,
    want: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let data: String = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            if data.is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&data).unwrap();
            if want(&v) {
                return v;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("no event for {what} within 30 s"))
            .unwrap()
            .unwrap_or_else(|| panic!("the stream ended before {what}"));
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_till_feeds_the_customer_display() {
    if !have_tmux() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for the pseudo-terminal test in CI"
        );
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let err_file = dir.path().join("stderr.txt");
    let status_file = dir.path().join("exit-status");
    let sock = format!("kasse-display-{}", std::process::id());
    let cmd = format!(
        "{BIN} --demo --data-dir {} 2> {}; echo $? > {}",
        dir.path().display(),
        err_file.display(),
        status_file.display()
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
        "80",
        "-y",
        "24",
        &cmd,
    ]);
    tmux(&["-L", &sock, "set", "-g", "escape-time", "0"]);
    wait_screen(&sock, "MSN 123456");

    // The address is printed on stderr before the screen starts.
    let err = std::fs::read_to_string(&err_file).unwrap();
    let url = err
        .lines()
        .find_map(|l| l.strip_prefix("Kundeskjerm: "))
        .unwrap_or_else(|| panic!("no display address on stderr: {err:?}"))
        .trim()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.contains("?t="), "loopback needs no token: {url}");

    let http = reqwest::Client::new();
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let mut events = http.get(format!("{url}events")).send().await.unwrap();
    assert_eq!(events.status(), 200);
    let mut buf = String::new();
    event_until(&mut events, &mut buf, "idle", |v| v["phase"] == "idle").await;

    keys(&sock, &["7038010001000", "Enter"]);
    let v = event_until(&mut events, &mut buf, "the first line", |v| {
        v["lines"].as_array().is_some_and(|l| l.len() == 1)
    })
    .await;
    assert_eq!(v["total_minor"], 2490);
    assert_eq!(v["lines"][0]["name"], "Kvikk Lunsj 47 g");
    keys(&sock, &["7038010001017", "Enter"]);
    event_until(&mut events, &mut buf, "57,80", |v| v["total_minor"] == 5780).await;

    keys(&sock, &["F12", "F2"]);
    let v = event_until(&mut events, &mut buf, "the QR link", |v| {
        v["phase"] == "paying_qr" && v["qr"].is_string()
    })
    .await;
    let link = v["qr"].as_str().unwrap();
    assert!(link.starts_with("http"), "{link}");
    assert!(v["qr_svg"].as_str().unwrap().starts_with("<svg"));

    // The simulated customer approves.
    keys(&sock, &["F6"]);
    let v = event_until(&mut events, &mut buf, "paid", |v| v["result"] == "paid").await;
    assert_eq!(v["headline"], "BETALT");
    assert!(v["qr"].is_null(), "the QR is gone once paid");
    wait_screen(&sock, "BETALT");

    keys(&sock, &["Enter"]);
    event_until(&mut events, &mut buf, "idle after the sale", |v| {
        v["phase"] == "idle"
    })
    .await;
    keys(&sock, &["C-q"]);
    let start = Instant::now();
    while !status_file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "kasse did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let screen = tmux(&["-L", &sock, "capture-pane", "-p", "-t", "kasse"]);
    tmux(&["-L", &sock, "kill-server"]);
    let status = std::fs::read_to_string(&status_file).unwrap();
    assert_eq!(status.trim(), "0", "exit status; screen:\n{screen}");
    // The till stopped: the stream ends.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = events.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream outlived the till");
}

#[test]
fn display_url_prints_the_token_keeps_it_private_and_never_logs_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[display]\nlisten = \"0.0.0.0:8088\"\n").unwrap();
    let run = || {
        Command::new(BIN)
            .arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(dir.path())
            .arg("display-url")
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let url = String::from_utf8(out.stdout).unwrap();
    assert!(
        url.starts_with("http://") && url.contains(":8088/?t="),
        "{url}"
    );
    let token_file = dir.path().join(kasse::display::TOKEN_FILE);
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(url.trim().ends_with(&token), "{url}");
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The same address the next time.
    assert_eq!(String::from_utf8(run().stdout).unwrap(), url);
    // Never in the logs.
    for entry in walk(&dir.path().join("logs")) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!text.contains(&token), "token in {}", entry.display());
    }

    // Off: says which key to set.
    std::fs::write(&cfg, "").unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("[display] listen"), "{err}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
