//! `kasse display`, the customer display in a terminal: the till's model publishes through the
//! real display server, the terminal client follows `GET /events` over HTTP, and what it draws
//! shows the scanned lines and the total, a QR code that decodes (rqrr, from the drawn cells)
//! to the payment link, "Sjekk Vipps-appen", the result — and says so when the till is gone.
//! Snapshots of each screen at 80×24 and 120×40.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::display as display_support;
use display_support::*;
use kasse::display::client::{Followed, events_url, follow};
use kasse::display::server;
use kasse::display::terminal::{TerminalState, render};
use kasse::lang::Lang;
use kasse::tui::{AppEvent, PaymentStatusView};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::Color;
use std::time::Duration;
use tokio::sync::watch;

fn draw(state: &TerminalState, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(state, f)).unwrap();
    t.backend().buffer().clone()
}

fn text_of(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn snap(name: &str, state: &TerminalState) {
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text_of(&draw(state, w, h)));
    }
}

/// The QR code read back from the drawn cells: each cell is two modules (`▀▄█` and blank on
/// the light colour), each module 4×4 pixels, decoded with rqrr.
fn decode_drawn_qr(buf: &Buffer) -> Result<String, String> {
    const PX: usize = 4;
    let (w, h) = (
        usize::from(buf.area.width),
        usize::from(buf.area.height) * 2,
    );
    let module_dark = |mx: usize, my: usize| -> bool {
        let cell = &buf[(
            u16::try_from(mx).unwrap_or(0),
            u16::try_from(my / 2).unwrap_or(0),
        )];
        if cell.bg != Color::White {
            return false;
        }
        matches!((cell.symbol(), my % 2), ("█", _) | ("▀", 0) | ("▄", 1))
    };
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w * PX, h * PX, |x, y| {
        if module_dark(x / PX, y / PX) { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    let grid = grids.first().ok_or("no QR code in the drawn cells")?;
    grid.decode().map(|(_, s)| s).map_err(|e| e.to_string())
}

/// Wait until the followed state satisfies `ok`.
async fn until(rx: &mut watch::Receiver<Followed>, what: &str, ok: impl Fn(&Followed) -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if ok(&rx.borrow_and_update()) {
                return;
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} within 10 s: {:?}", rx.borrow()));
}

fn state(f: &Followed) -> TerminalState {
    TerminalState {
        view: f.view.clone(),
        online: f.online,
        lang: Lang::Nb,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminal_display_follows_the_till_over_http() {
    let mut till = Till::new(Lang::Nb);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let srv = server::serve(listener, &till.publisher, None).unwrap();
    let page = format!("http://{}/", srv.addr);
    let (tx, mut rx) = watch::channel(Followed::default());
    // Before anything arrives: waiting for the till.
    snap("terminal_waiting", &state(&rx.borrow()));
    let follower = tokio::spawn(follow(events_url(&page), tx, Duration::from_millis(50)));

    until(&mut rx, "the idle view", |f| {
        f.online && f.view.as_ref().is_some_and(|v| v.shop == SHOP)
    })
    .await;
    snap("terminal_idle", &state(&rx.borrow()));

    // Two items scanned: both lines and the total.
    till.scan(KVIKK);
    till.scan(COLA);
    until(&mut rx, "two lines", |f| {
        f.view.as_ref().is_some_and(|v| v.lines.len() == 2)
    })
    .await;
    let s = state(&rx.borrow());
    let text = text_of(&draw(&s, 120, 40));
    for needle in ["Kvikk Lunsj", "Coca-Cola", "kr 57,80", "Totalt"] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    snap("terminal_basket", &s);

    // A QR payment: the drawn code decodes to the payment link at 120×40.
    till.key(KeyCode::F(12));
    till.key(KeyCode::F(2));
    till.event(AppEvent::Payment(payment(
        PaymentStatusView::WaitingForCustomer,
        5780,
        Some(QR_URL),
    )));
    until(&mut rx, "the QR", |f| {
        f.view.as_ref().is_some_and(|v| v.qr.is_some())
    })
    .await;
    let s = state(&rx.borrow());
    assert_eq!(decode_drawn_qr(&draw(&s, 120, 40)).unwrap(), QR_URL);
    assert!(text_of(&draw(&s, 120, 40)).contains("5 minutter igjen"));
    // 80×24 is too small for this link: the display says so instead of a code that won't scan.
    let small = text_of(&draw(&s, 80, 24));
    assert!(small.contains("Vinduet er for lite"), "{small}");
    snap("terminal_qr", &s);

    // Paid.
    till.event(AppEvent::Payment(payment(
        PaymentStatusView::Paid,
        5780,
        None,
    )));
    until(&mut rx, "paid", |f| {
        f.view.as_ref().is_some_and(|v| v.headline == "BETALT")
    })
    .await;
    snap("terminal_paid", &state(&rx.borrow()));

    // Push, in a new sale.
    till.key(KeyCode::Enter);
    till.scan(KVIKK);
    till.key(KeyCode::F(12));
    for c in "91234567".chars() {
        till.key(KeyCode::Char(c));
    }
    till.key(KeyCode::Enter);
    till.event(AppEvent::Payment(payment(
        PaymentStatusView::WaitingForCustomer,
        2490,
        None,
    )));
    // Wait for the push as the engine reported it (with the countdown), not the moment before
    // ("Et øyeblikk …" while the push is being sent).
    until(&mut rx, "the push screen", |f| {
        f.view
            .as_ref()
            .is_some_and(|v| v.headline == "Sjekk Vipps-appen" && v.countdown.is_some())
    })
    .await;
    snap("terminal_push", &state(&rx.borrow()));

    // The till goes away (its process ends: the server and the publisher with it): the
    // display says it waits for the till, over the last view.
    srv.stop();
    drop(till);
    until(&mut rx, "offline", |f| !f.online).await;
    let s = state(&rx.borrow());
    assert!(text_of(&draw(&s, 80, 24)).contains("Venter på kassen"));
    snap("terminal_offline", &s);
    follower.abort();
}
