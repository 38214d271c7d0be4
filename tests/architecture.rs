#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The rules of the house (docs/ARCHITECTURE.md), checked on the source tree: what each room may
//! import, where SQL lives, that no file grows past ~800 lines without a reason, that the rooms
//! form no import circle, and that time is injected in the shell.
//!
//! The check reads `src/` as text: every `crate::<room>` path (and the external crates named
//! below) outside `#[cfg(test)]` modules counts as an import of that room.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its path under `src/`, its room (top-level module) and its non-test text.
struct Source {
    rel: String,
    room: String,
    code: String,
    lines: usize,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The file's text without its `#[cfg(test)]` items and without comments (tests may use
/// anything; docs may name anything).
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut skip_depth: Option<i32> = None;
    let mut depth = 0i32;
    let mut pending_test = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if skip_depth.is_none() && trimmed.starts_with("#[cfg(test)]") {
            pending_test = true;
            continue;
        }
        let opens = line.matches('{').count() as i32;
        let closes = line.matches('}').count() as i32;
        if pending_test && skip_depth.is_none() {
            if opens > 0 {
                skip_depth = Some(depth);
                pending_test = false;
            } else if trimmed.ends_with(';') {
                // `#[cfg(test)] mod x;` or a test-only `use`.
                pending_test = false;
                continue;
            }
        }
        depth += opens - closes;
        if let Some(d) = skip_depth {
            if depth <= d {
                skip_depth = None;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn sources() -> Vec<Source> {
    let root = src_dir();
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let room = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            Source {
                lines: text.lines().count(),
                code: code_of(&text),
                rel,
                room,
            }
        })
        .collect()
}

/// The rooms a file refers to through `crate::<room>` (and `super::` does not leave a room).
fn rooms_used(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `$crate::` or `kasse_crate::`
        }
        let rest = &code[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            used.insert(name);
        }
    }
    // `use crate::{a, b::c}` groups.
    for (i, _) in code.match_indices("crate::{") {
        let rest = &code[i + "crate::{".len()..];
        let mut depth = 0;
        let mut item = String::new();
        let mut at_start = true;
        for c in rest.chars() {
            if depth == 0 && at_start && (c.is_ascii_alphanumeric() || c == '_') {
                item.push(c);
                continue;
            }
            if !item.is_empty() {
                used.insert(std::mem::take(&mut item));
                at_start = false;
            }
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => at_start = true,
                _ => {}
            }
        }
    }
    used
}

fn uses_crate(code: &str, krate: &str) -> bool {
    code.lines().any(|l| {
        let l = l.trim_start();
        l.contains(&format!("{krate}::")) && !l.contains(&format!("_{krate}::"))
    })
}

#[test]
fn the_screen_depends_on_plain_data_only() {
    let forbidden_rooms = [
        "store", "service", "engine", "api", "app", "cli", "sim", "ops", "display", "hq",
    ];
    let mut bad = Vec::new();
    for s in sources().iter().filter(|s| s.room == "tui") {
        for r in rooms_used(&s.code) {
            if forbidden_rooms.contains(&r.as_str()) {
                bad.push(format!("{} uses crate::{r}", s.rel));
            }
        }
        for krate in [
            "rusqlite",
            "tokio",
            "reqwest",
            "tokio_postgres",
            "deadpool_postgres",
        ] {
            if uses_crate(&s.code, krate) {
                bad.push(format!("{} uses {krate}", s.rel));
            }
        }
        if s.code.contains("std::fs") {
            bad.push(format!("{} reads files (std::fs)", s.rel));
        }
    }
    assert!(
        bad.is_empty(),
        "tui must take plain data:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_domain_is_pure() {
    let mut bad = Vec::new();
    for s in sources().iter().filter(|s| s.room == "domain") {
        for r in rooms_used(&s.code) {
            if r != "lang" && r != "domain" {
                bad.push(format!("{} uses crate::{r}", s.rel));
            }
        }
        for krate in ["rusqlite", "tokio", "reqwest", "std::fs", "std::net"] {
            if uses_crate(&s.code, krate) {
                bad.push(format!("{} uses {krate}", s.rel));
            }
        }
    }
    assert!(bad.is_empty(), "domain must stay pure:\n{}", bad.join("\n"));
}

#[test]
fn sql_lives_only_in_the_store() {
    let bad: Vec<String> = sources()
        .iter()
        .filter(|s| s.room != "store" && uses_crate(&s.code, "rusqlite"))
        .map(|s| s.rel.clone())
        .collect();
    assert!(bad.is_empty(), "rusqlite outside src/store: {bad:?}");
}

/// A deliberate second database room: ALL PostgreSQL (headquarters) lives in `src/hq`, as all
/// SQLite lives in `src/store`; `hq` reaches the till's journal only through `store`'s API,
/// and of `service` uses only the SAF-T mapping (`service::saft`).
#[test]
fn postgres_lives_only_in_hq() {
    let mut bad = Vec::new();
    for s in sources() {
        for krate in ["tokio_postgres", "deadpool_postgres"] {
            if s.room != "hq" && uses_crate(&s.code, krate) {
                bad.push(format!("{} uses {krate}", s.rel));
            }
        }
        if s.room == "hq" && uses_crate(&s.code, "rusqlite") {
            bad.push(format!("{} uses rusqlite", s.rel));
        }
        let used = rooms_used(&s.code);
        if s.room == "hq" {
            for r in &used {
                // HQ's SAF-T file is written with the till's own mapping (`service::saft`, pure
                // functions from journal rows to SAF-T elements) and nothing else of `service`.
                let saft_only = r == "service"
                    && s.code.matches("crate::service").count()
                        == s.code.matches("crate::service::saft").count();
                if !["hq", "store", "fiscal", "domain", "lang", "clock", "config"]
                    .contains(&r.as_str())
                    && !saft_only
                {
                    bad.push(format!("{} uses crate::{r}", s.rel));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "PostgreSQL outside src/hq:\n{}",
        bad.join("\n")
    );
}

/// Files allowed past ~800 lines, each one cohesive thing (say why in docs/ARCHITECTURE.md).
const LONG_FILES: &[(&str, &str)] = &[
    (
        "api/error.rs",
        "the Vipps error catalogue: one table of codes and messages",
    ),
    (
        "domain/payment.rs",
        "the payment state machine: one pure transition function",
    ),
    (
        "engine/core.rs",
        "the engine's public API and its shared state",
    ),
    (
        "engine/driver.rs",
        "one payment's driver loop: start, poll, decide, capture",
    ),
    (
        "engine/vipps.rs",
        "the three Vipps providers behind one trait",
    ),
    (
        "fiscal/signature.rs",
        "SAF-T signature chain: signing, keys, verification",
    ),
    (
        "fiscal/saft/writer.rs",
        "the streaming SAF-T XML writer, element by element",
    ),
    (
        "sim/epayment.rs",
        "the simulated ePayment API: every endpoint of one spec",
    ),
    (
        "store/journal.rs",
        "the sale journal's SQL: one table family",
    ),
    (
        "store/fiscal.rs",
        "the signed journal's SQL: keys, signed rows, 13xxx events, verify",
    ),
    (
        "tui/update.rs",
        "the pure update function of the sale screen",
    ),
    ("tui/view.rs", "the sale screen's view"),
    (
        "config.rs",
        "the config file: every key, its default and its message",
    ),
];

#[test]
fn no_file_grows_past_800_lines_without_a_reason() {
    let allowed: BTreeMap<&str, &str> = LONG_FILES.iter().copied().collect();
    let bad: Vec<String> = sources()
        .iter()
        .filter(|s| s.lines > 800 && !allowed.contains_key(s.rel.as_str()))
        .map(|s| format!("{} has {} lines", s.rel, s.lines))
        .collect();
    assert!(
        bad.is_empty(),
        "split these (or add them to LONG_FILES with the reason):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_rooms_form_no_import_circle() {
    let srcs = sources();
    let rooms: BTreeSet<String> = srcs.iter().map(|s| s.room.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &srcs {
        for r in rooms_used(&s.code) {
            if r != s.room && rooms.contains(&r) && r != "lib" && r != "main" {
                edges.entry(s.room.clone()).or_default().insert(r);
            }
        }
    }
    // Depth-first search for a back edge; report the circle.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut circle = stack[i..].to_vec();
            circle.push(n.to_owned());
            return Some(circle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_owned());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for r in &rooms {
        let mut stack = Vec::new();
        if let Some(c) = visit(r, &edges, &mut stack, &mut done) {
            panic!("import circle between rooms: {}", c.join(" -> "));
        }
    }
}

#[test]
fn the_checker_sees_what_it_checks() {
    // The scanner itself: a `crate::` path and a group count, test modules and comments do not.
    let code = code_of(
        "use crate::store::Store;\nuse crate::{engine, tui::Msg};\n// crate::api in a comment\n#[cfg(test)]\nmod tests {\n    use crate::sim;\n}\nfn f() { crate::domain::x(); }\n",
    );
    let used = rooms_used(&code);
    let want: BTreeSet<String> = ["store", "engine", "tui", "domain"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(used, want);
    // And the real tree has the rooms the rules name.
    let rooms: BTreeSet<String> = sources().into_iter().map(|s| s.room).collect();
    for r in [
        "domain", "store", "engine", "api", "tui", "app", "cli", "sim",
    ] {
        assert!(rooms.contains(r), "room {r} not found");
    }
}

#[test]
fn time_is_injected_in_the_shell() {
    // The till's one clock is made in app/bootstrap.rs; everything else in `app` and `service`
    // reads time from an injected Clock (tests bring their own).
    let bad: Vec<String> = sources()
        .iter()
        .filter(|s| (s.room == "app" || s.room == "service") && s.rel != "app/bootstrap.rs")
        .filter(|s| s.code.contains("now_utc()"))
        .map(|s| s.rel.clone())
        .collect();
    assert!(
        bad.is_empty(),
        "now_utc() outside app/bootstrap.rs: {bad:?}"
    );
}

#[test]
fn the_simulator_shares_only_the_wire_contract() {
    let mut bad = Vec::new();
    for s in sources() {
        let used = rooms_used(&s.code);
        match s.room.as_str() {
            "sim" if used.contains("api") => bad.push(format!("{} uses crate::api", s.rel)),
            "wire" => {
                for r in used {
                    if !["wire", "domain", "lang"].contains(&r.as_str()) {
                        bad.push(format!("{} uses crate::{r}", s.rel));
                    }
                }
            }
            "receipt" if used.contains("config") => {
                bad.push(format!("{} uses crate::config", s.rel))
            }
            _ => {}
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
