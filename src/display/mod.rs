//! The customer display (issue 16): a web page on a tablet, a phone or a second monitor that
//! shows the customer the lines as they are scanned, the total in large digits, the QR code
//! while a QR payment waits, "Sjekk Vipps-appen" for a push, the result and the change.
//!
//! - [`view`]: the pure [`customer_view`] of the cashier's model (nothing staff-only).
//! - [`server`]: axum on `[display] listen`, `GET /` and `GET /events` (Server-Sent Events),
//!   fed by a `tokio::sync::watch` channel ([`server::Publisher`]).
//! - [`Display`]: what the till's run loop holds: publish after each update.
//! - [`terminal`] and [`client`]: `kasse display`, the same view in a terminal, fed from the
//!   till's `GET /events`.
//! - The pairing token for a non-loopback display: generated once, kept 0600 in the data dir
//!   ([`TOKEN_FILE`]), shown by `kasse display-url`, never logged.

pub mod client;
pub mod server;
pub mod terminal;
pub mod view;

pub use server::{DisplayServer, Publisher};
pub use view::{CustomerView, DisplayInfo, Phase, customer_view};

use crate::lang::Text;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::path::Path;

/// The pairing token's file in the data directory (0600).
pub const TOKEN_FILE: &str = "display-token";

/// `--demo` without `[display] listen`: loopback, a free port.
pub const DEMO_LISTEN: &str = "127.0.0.1:0";

fn io_text(what: &str, path: &Path, e: &std::io::Error) -> Text {
    Text::new(
        format!("Kundeskjermen: kan ikke {what} {}: {e}", path.display()),
        format!(
            "Customer display: cannot {} {}: {e}",
            match what {
                "lese" => "read",
                _ => "write",
            },
            path.display()
        ),
    )
}

/// The pairing token from `<data_dir>/display-token`, created (random, 0600) on first use.
pub fn load_or_create_token(data_dir: &Path) -> Result<SecretString, Text> {
    use base64::Engine;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => {
            // Tighten the mode if someone loosened it.
            if let Err(e) = crate::ops::perms::ensure_mode(&path, 0o600) {
                tracing::warn!(error = %e, "display token file mode not fixed");
            }
            return Ok(SecretString::from(t.trim().to_owned()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_text("lese", &path, &e)),
    }
    let bytes: [u8; 24] = rand::random();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io_text("skrive", &path, &e))?;
    f.write_all(token.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| io_text("skrive", &path, &e))?;
    if let Err(e) = crate::ops::perms::ensure_mode(&path, 0o600) {
        tracing::warn!(error = %e, "display token file mode not fixed");
    }
    Ok(SecretString::from(token))
}

/// The address to type on the display device for a server on `addr`. A wildcard address
/// (`0.0.0.0`) is replaced by this machine's address on the local network when it can be found.
pub fn url_of(addr: SocketAddr, token: Option<&SecretString>) -> String {
    let host = if addr.ip().is_unspecified() {
        local_ip().unwrap_or(addr.ip())
    } else {
        addr.ip()
    };
    let shown = SocketAddr::new(host, addr.port());
    match token {
        Some(t) => format!("http://{shown}/?t={}", t.expose_secret()),
        None => format!("http://{shown}/"),
    }
}

/// This machine's address towards the local network (no packet is sent: a UDP `connect` only
/// picks the route).
fn local_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// The customer display as the till runs it: the publisher and its server. `Debug` leaves out
/// the address (it carries the pairing token).
pub struct Display {
    pub publisher: Publisher,
    pub info: DisplayInfo,
    pub server: DisplayServer,
    /// Where to open it (with the token for a non-loopback address): never logged.
    url: String,
}

impl std::fmt::Debug for Display {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Display")
            .field("info", &self.info)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Display {
    /// Publish the customer's view of `app` (sent only when it changed).
    pub fn publish(&self, app: &crate::tui::App) -> bool {
        self.publisher.publish(customer_view(app, &self.info))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn stop(self) {
        self.server.stop();
    }
}

/// Start the display on `listen` (a loopback address needs no token; any other uses the data
/// dir's pairing token, created if missing).
pub async fn start(listen: &str, info: DisplayInfo, data_dir: &Path) -> Result<Display, Text> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Text::new(
            format!("display.listen = {listen:?}: skriv adresse og port, f.eks. \"0.0.0.0:8088\""),
            format!(
                "display.listen = {listen:?}: expected an address and port, e.g. \"0.0.0.0:8088\""
            ),
        )
    })?;
    let token = if server::needs_token(addr) {
        Some(load_or_create_token(data_dir)?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Text::new(
            format!("Kundeskjermen kan ikke lytte på {addr} (display.listen): {e}"),
            format!("The customer display cannot listen on {addr} (display.listen): {e}"),
        )
    })?;
    let publisher = Publisher::new(view::idle(&info));
    let server = server::serve(listener, &publisher, token.clone()).map_err(|e| {
        Text::new(
            format!("Kundeskjermen (display.listen): {e}"),
            format!("Customer display (display.listen): {e}"),
        )
    })?;
    let url = url_of(server.addr, token.as_ref());
    Ok(Display {
        publisher,
        info,
        server,
        url,
    })
}

/// The till's display from the config: `[display] listen`, or a free loopback port in `--demo`,
/// or none. A display that cannot start never stops the till: the reason goes to stderr and
/// the log. The address is printed on stderr before the screen starts (without the token).
pub async fn start_for_till(
    cfg: &crate::config::Config,
    data_dir: &Path,
    demo: bool,
) -> Option<Display> {
    let listen = match (cfg.display.listen, demo) {
        (Some(addr), _) => addr.to_string(),
        (None, true) => DEMO_LISTEN.to_owned(),
        (None, false) => return None,
    };
    let info = DisplayInfo {
        shop: cfg.shop.name.clone(),
        lang: cfg.display.language,
        currency: cfg.shop.currency,
    };
    let lang = cfg.ui.language;
    match start(&listen, info, data_dir).await {
        Ok(d) => {
            let shown = url_of(d.server.addr, None);
            tracing::info!(address = %d.server.addr, "customer display started");
            let more = if d.url().contains("?t=") {
                lang.pick(
                    " (adressen med paringskode: kasse display-url)",
                    " (the address with the pairing token: kasse display-url)",
                )
            } else {
                ""
            };
            eprintln!(
                "{}: {shown}{more}",
                lang.pick("Kundeskjerm", "Customer display")
            );
            Some(d)
        }
        Err(t) => {
            tracing::error!(error = %t.en, "customer display not started");
            eprintln!("kasse: {}", t.get(lang));
            None
        }
    }
}
