//! `kasse display-url`: the address to open on the customer display (with the pairing token
//! for a non-loopback `[display] listen`). The token goes to stdout only, never to the log.
//! `kasse display`: the same display in this terminal.

use crate::config::Config;
use crate::display;
use crate::lang::{Lang, Text};
use std::io::Write;
use std::path::Path;

/// What `kasse display-url` prints: the address on success, or why there is none.
pub fn display_url(cfg: &Config, data_dir: &Path, demo: bool) -> Result<String, Text> {
    match cfg.display.listen {
        Some(addr) => {
            let token = if display::server::needs_token(addr) {
                Some(display::load_or_create_token(data_dir)?)
            } else {
                None
            };
            Ok(display::url_of(addr, token.as_ref()))
        }
        None if demo => Err(Text::new(
            "--demo: kundeskjermen bruker en ledig port på denne maskinen; adressen skrives ut når kassen starter. Sett [display] listen for en fast adresse.",
            "--demo: the customer display uses a free port on this machine; its address is printed when the till starts. Set [display] listen for a fixed address.",
        )),
        None => Err(Text::new(
            "Kundeskjermen er av: sett [display] listen i konfigurasjonen, f.eks. listen = \"0.0.0.0:8088\".",
            "The customer display is off: set [display] listen in the config, e.g. listen = \"0.0.0.0:8088\".",
        )),
    }
}

/// Run the command: the address on stdout (exit 0), or the reason on stderr (exit 1).
pub fn run(
    cfg: &Config,
    data_dir: &Path,
    demo: bool,
    lang: Lang,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match display_url(cfg, data_dir, demo) {
        Ok(url) => {
            if writeln!(out, "{url}").is_err() {
                return 1;
            }
            if url.contains("?t=") {
                let _ = writeln!(
                    err,
                    "{}",
                    lang.pick(
                        "Åpne adressen på kundeskjermen. Alle som har den kan se skjermen; slett display-token i datamappen for å pare på nytt.",
                        "Open this address on the customer display. Anyone who has it can see the display; delete display-token in the data dir to pair again.",
                    )
                );
            }
            0
        }
        Err(t) => {
            let _ = writeln!(err, "kasse: {}", t.get(lang));
            1
        }
    }
}

/// `kasse display [--url URL]`: the customer display in this terminal, following the running
/// till's `GET /events` (the URL from `kasse display-url`, or `--url` — the address `--demo`
/// prints). Read-only: `q`, `Esc` or `Ctrl-C` closes it; the till is not touched.
pub async fn terminal(
    cfg: &Config,
    data_dir: &Path,
    demo: bool,
    url: Option<String>,
    lang: Lang,
) -> i32 {
    let page = match url {
        Some(u) => u,
        None => match display_url(cfg, data_dir, demo) {
            Ok(u) => u,
            Err(t) => {
                eprintln!("kasse: {}", t.get(lang));
                return 1;
            }
        },
    };
    let (tx, rx) = tokio::sync::watch::channel(display::client::Followed::default());
    let follower = tokio::spawn(display::client::follow(
        display::client::events_url(&page),
        tx,
        std::time::Duration::from_secs(1),
    ));
    let code = match draw_loop(rx, lang).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "kasse: {}",
                lang.pick(&format!("Terminalen: {e}"), &format!("The terminal: {e}"))
            );
            1
        }
    };
    follower.abort();
    code
}

/// Draw on every new view (and at least every 100 ms, for keys and resizes) until a quit key.
async fn draw_loop(
    mut rx: tokio::sync::watch::Receiver<display::client::Followed>,
    lang: Lang,
) -> std::io::Result<()> {
    use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    let mut guard = crate::tui::terminal::TerminalGuard::enter()?;
    loop {
        let state = {
            let f = rx.borrow_and_update();
            display::terminal::TerminalState {
                view: f.view.clone(),
                online: f.online,
                lang,
            }
        };
        guard
            .terminal
            .draw(|frame| display::terminal::render(&state, frame))?;
        tokio::select! {
            r = rx.changed() => {
                if r.is_err() {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
            () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
        }
        while event::poll(std::time::Duration::ZERO)? {
            if let Event::Key(k) = event::read()?
                && k.kind == KeyEventKind::Press
                && (matches!(k.code, KeyCode::Char('q') | KeyCode::Esc)
                    || (k.code == KeyCode::Char('c')
                        && k.modifiers.contains(KeyModifiers::CONTROL)))
            {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn cfg(extra: &str) -> Config {
        Config::from_toml_str(extra, &|_| None).unwrap()
    }

    #[test]
    fn loopback_needs_no_token_and_a_lan_address_gets_one_kept_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let url = display_url(
            &cfg("[display]\nlisten = \"127.0.0.1:8088\"\n"),
            dir.path(),
            false,
        )
        .unwrap();
        assert_eq!(url, "http://127.0.0.1:8088/");
        assert!(!dir.path().join(display::TOKEN_FILE).exists());

        let lan = cfg("[display]\nlisten = \"192.168.1.20:8088\"\n");
        let first = display_url(&lan, dir.path(), false).unwrap();
        assert!(first.starts_with("http://192.168.1.20:8088/?t="), "{first}");
        let path = dir.path().join(display::TOKEN_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // The same token every time.
        assert_eq!(display_url(&lan, dir.path(), false).unwrap(), first);
        let token = std::fs::read_to_string(&path).unwrap();
        assert!(token.len() >= 32 && first.ends_with(&token), "{first}");
    }

    #[test]
    fn off_says_which_key_to_set() {
        let dir = tempfile::tempdir().unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&cfg(""), dir.path(), false, Lang::En, &mut out, &mut err);
        assert_eq!(code, 1);
        assert!(out.is_empty());
        assert!(String::from_utf8(err).unwrap().contains("[display] listen"));
    }
}
