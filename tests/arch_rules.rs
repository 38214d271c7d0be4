//! The import rules of the rooms (issue 14), checked on the source: the pure core imports
//! nothing impure, the screen imports no store/service/engine/api/SQL/async runtime, and SQL
//! stays in the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rs_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Code lines (comments and doc comments left out) of every `.rs` file under `src/<room>`.
fn code_of(room: &str) -> Vec<(PathBuf, usize, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(room);
    let mut out = Vec::new();
    for f in rs_files(&dir) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            out.push((f.clone(), i + 1, line.to_owned()));
        }
    }
    out
}

fn offenders(room: &str, forbidden: &[&str], except: &[&str]) -> Vec<String> {
    code_of(room)
        .into_iter()
        .filter(|(f, _, _)| !except.iter().any(|e| f.ends_with(e)))
        .filter(|(_, _, l)| forbidden.iter().any(|x| l.contains(x)))
        .map(|(f, n, l)| format!("{}:{n}: {}", f.display(), l.trim()))
        .collect()
}

#[test]
fn the_domain_imports_nothing_impure() {
    let bad = offenders(
        "domain",
        &[
            "crate::store",
            "crate::service",
            "crate::engine",
            "crate::api",
            "crate::app",
            "crate::tui",
            "crate::cli",
            "crate::receipt",
            "rusqlite",
            "tokio",
            "now_utc",
        ],
        &[],
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_screen_imports_no_store_service_engine_api_sql_or_runtime() {
    // tui/shell.rs is the terminal's event loop (it owns the runtime side).
    let bad = offenders(
        "tui",
        &[
            "crate::store",
            "crate::service",
            "crate::engine",
            "crate::api",
            "crate::staff",
            "rusqlite",
            "tokio",
        ],
        &["tui/shell.rs"],
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn staff_sql_lives_in_the_store() {
    for room in ["service", "cli", "domain", "receipt", "tui"] {
        let bad = offenders(room, &["rusqlite", "Connection::open"], &[]);
        assert!(bad.is_empty(), "{room}: {bad:#?}");
    }
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    for f in ["staff.rs", "staff_exec.rs"] {
        let text = std::fs::read_to_string(app.join(f)).unwrap();
        assert!(!text.contains("rusqlite"), "app/{f}");
    }
    assert!(
        !Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/staff")
            .exists(),
        "src/staff is dissolved into domain / store / service"
    );
}

#[test]
fn the_service_takes_time_from_its_callers() {
    let bad = offenders("service", &["now_utc", "SystemTime::now"], &[]);
    assert!(bad.is_empty(), "{bad:#?}");
}
