//! One frame of the cashier's screen at 120×40 (ratatui `TestBackend`): the paying screen with
//! a QR over a 200-line basket, and the sale screen with the same basket.
//!
//! Run: `cargo bench --bench render` (env `KASSE_BENCH_FRAMES`, default 2000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use kasse::clock::ManualClock;
use kasse::domain::basket::{OrderLine, Product, Quantity, QuantityUnit};
use kasse::domain::money::{Currency, Money};
use kasse::domain::vat::VatRate;
use kasse::lang::Lang;
use kasse::tui::app::{PayKind, Screen};
use kasse::tui::catalog::Catalog;
use kasse::tui::keymap::Keymap;
use kasse::tui::theme::Theme;
use kasse::tui::{App, EnvLabel, PaymentStatusView, PaymentView, RunContext};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const QR: &str = "https://qr.vipps.no/28/2/01/031/4791234567?v=1&token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK";

fn app_with_basket(lines: usize) -> App {
    let ctx = RunContext {
        environment: EnvLabel::Test,
        msn: "123456".into(),
        vipps_api: kasse::domain::money::VippsApi::Epayment,
        lang: Lang::Nb,
        currency: Currency::Nok,
        kiosk: None,
        catalog: Catalog::demo().unwrap(),
        keymap: Keymap::default_keymap().unwrap(),
        theme: Theme::default_theme().unwrap(),
        demo: false,
        clock: Arc::new(ManualClock::fixed()),
        utc_offset: time::UtcOffset::UTC,
        tick: Duration::from_millis(250),
        manager_pins: false,
        login_required: false,
        cashier: None,
        rules: kasse::tui::ScreenRules::default(),
    };
    let mut app = App::new(&ctx);
    let rates = [
        VatRate::STANDARD,
        VatRate::FOOD,
        VatRate::LOW,
        VatRate::ZERO,
    ];
    for i in 0..lines {
        let p = Product {
            id: format!("70380100{i:05}"),
            name: format!("Vare nummer {i} med et ganske langt navn"),
            price: Money::nok(990 + (i as i64 * 137) % 20_000),
            vat: rates[i % rates.len()],
            unit: QuantityUnit::Pcs,
        };
        let q = Quantity::pieces(1 + (i as u32 % 3)).unwrap();
        app.basket
            .add(OrderLine::from_product(&p, q).unwrap())
            .unwrap();
    }
    app.selected = Some(lines.saturating_sub(1));
    app
}

fn paying_qr(mut app: App) -> App {
    let total = app.basket.totals().unwrap();
    app.screen = Screen::Paying;
    app.pay_kind = Some(PayKind::Qr);
    app.payment = Some(PaymentView {
        reference: "kasse-s1-t1-000042-a1".into(),
        amount: total.gross,
        status: PaymentStatusView::WaitingForCustomer,
        open_left: Some(Duration::from_secs(281)),
        approve_left: Some(Duration::from_secs(581)),
        qr_payload: Some(QR.into()),
        reason: None,
        receipt_number: None,
        qr_fallback: false,
        open_signal: true,
    });
    app
}

fn bench(name: &str, app: &App, frames: usize) -> f64 {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // Warm up (allocations, QR cache if any).
    for _ in 0..20 {
        term.draw(|f| kasse::tui::render(app, f)).unwrap();
    }
    let mut samples = Vec::with_capacity(frames);
    for _ in 0..frames {
        let t = Instant::now();
        term.draw(|f| kasse::tui::render(app, f)).unwrap();
        samples.push(ms(t.elapsed()));
    }
    // A fresh terminal each frame (what `render_to_buffer` does: no diff against the last one).
    let mut cold = Vec::with_capacity(frames / 10 + 1);
    for _ in 0..(frames / 10).max(1) {
        let t = Instant::now();
        let buf = kasse::tui::view::render_to_buffer(app, 120, 40);
        cold.push(ms(t.elapsed()));
        std::hint::black_box(buf);
    }
    let s = sorted(samples);
    let c = sorted(cold);
    println!(
        "{name:<28} {frames:>6} {:>9.3} {:>9.3} {:>9.3} {:>12.3}",
        pct(&s, 50.0),
        pct(&s, 99.0),
        s.last().copied().unwrap_or(f64::NAN),
        pct(&c, 50.0)
    );
    pct(&s, 50.0)
}

fn main() {
    machine_note("render one frame 120×40");
    let frames = env_usize("KASSE_BENCH_FRAMES", 2000);
    let sale = app_with_basket(200);
    assert_eq!(sale.basket.len(), 200);
    let paying = paying_qr(app_with_basket(200));
    // The frame really holds the QR: half-block characters in the buffer.
    let text = kasse::tui::view::render_to_string(&paying, 120, 40);
    let qr_cells = text
        .chars()
        .filter(|c| matches!(c, '▀' | '▄' | '█'))
        .count();
    println!("paying frame has {qr_cells} QR half-block cells");
    println!(
        "{:<28} {:>6} {:>9} {:>9} {:>9} {:>12}",
        "frame", "n", "p50 ms", "p99 ms", "max ms", "fresh p50 ms"
    );
    let a = bench("paying, QR, 200-line basket", &paying, frames);
    let b = bench("sale, 200-line basket", &sale, frames);
    let worst = a.max(b);
    println!(
        "target ≤ 1 ms per frame (median): {worst:.3} ms {}",
        verdict(worst <= 1.0)
    );
}
