#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Clients the project did not write, against `kasse sim`: Vipps' official SDK
//! (`@vippsmobilepay/sdk` 2.4) and Vipps' Postman collections under newman, both installed by
//! `tests/external/run.sh` with npm (never committed) and reported per call.
//!
//! Needs node and npm (Debian: `apt-get install nodejs npm`) and the npm registry. Under
//! `CI=true` a missing prerequisite FAILS this test; elsewhere it is skipped with a loud notice.

use std::path::PathBuf;
use std::process::Command;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn skip_or_fail(why: &str) {
    assert!(
        !in_ci(),
        "CI=true: the external-client test cannot run: {why}. Install node and npm (Debian packages: nodejs npm) and let it reach the npm registry."
    );
    eprintln!();
    eprintln!(
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    );
    eprintln!("!! SKIPPED: the official Vipps SDK and newman did NOT run against the simulator.");
    eprintln!("!! Reason: {why}");
    eprintln!("!! Needs node + npm (Debian: nodejs npm), the npm registry and ../shared/postman;");
    eprintln!("!! under CI=true this is a failure.");
    eprintln!(
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    );
    eprintln!();
}

fn tool_works(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn official_sdk_and_postman_collections_under_newman() {
    for tool in ["bash", "node", "npm"] {
        if !tool_works(tool) {
            skip_or_fail(&format!("`{tool}` is not installed"));
            return;
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var("KASSE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared"));
    if !shared.join("postman").is_dir() {
        skip_or_fail(&format!(
            "no Postman collections in {} (set KASSE_SHARED_DIR)",
            shared.join("postman").display()
        ));
        return;
    }
    let out = Command::new("bash")
        .arg(root.join("tests/external/run.sh"))
        .env("KASSE_BIN", env!("CARGO_BIN_EXE_kasse"))
        .env("KASSE_SHARED_DIR", &shared)
        .output()
        .expect("run tests/external/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    match out.status.code() {
        Some(0) => {
            // Both clients reported, and no call failed.
            assert!(
                stdout.contains("sdk: ") && stdout.contains(", 0 failed"),
                "{stdout}"
            );
            assert!(stdout.contains("newman: "), "{stdout}");
            assert!(!stdout.contains(" FAIL "), "{stdout}");
        }
        Some(3) => skip_or_fail(stderr.trim()),
        other => panic!("external clients failed ({other:?}); per-call report above:\n{stdout}"),
    }
}
