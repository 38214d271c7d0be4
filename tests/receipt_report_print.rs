#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Printed X/Z reports: golden text and ESC/POS of an X report (TRAINING in demo) and of a Z
//! report printed again from its stored snapshot (COPY), at 48 and 32 columns; and the whole
//! path through the durable print queue to a file printer.

use kasse::app::report_document;
use kasse::domain::report::{Report, ReportKind};
use kasse::lang::Lang;
use kasse::receipt::escpos::{EscPosOptions, escaped};
use kasse::receipt::{CodePage, PaperCode};

fn z_report() -> Report {
    serde_json::from_str(include_str!("common/z_report.json")).unwrap()
}

fn x_report() -> Report {
    let mut r = z_report();
    r.kind = ReportKind::X;
    r.number = None;
    r.generated_by = None;
    r
}

fn opts(width: usize) -> EscPosOptions {
    EscPosOptions {
        width,
        code_page: CodePage::Pc865,
        code: PaperCode::Qr,
        drawer_kick: true,
        footer: vec!["Takk for handelen!".into()],
    }
}

#[test]
fn x_report_in_training_text_48() {
    let doc = report_document(&x_report(), Lang::En, false, true);
    assert_eq!(doc.id, "X-2026-11-21");
    insta::assert_snapshot!(doc.render_text(48));
}

#[test]
fn x_report_text_32_nb_fits_the_paper() {
    let doc = report_document(&x_report(), Lang::Nb, false, false);
    let t = doc.render_text(32);
    for l in t.lines() {
        assert!(l.chars().count() <= 32, "{l:?}");
    }
    assert!(!t.contains("COPY") && !t.contains("TRAINING"), "{t}");
    insta::assert_snapshot!(t);
}

#[test]
fn x_report_escpos_48() {
    let doc = report_document(&x_report(), Lang::En, false, false);
    let bytes = doc.render_escpos(&opts(48)).unwrap();
    // No drawer pulse for a report (ESC p), one cut at the end (GS V).
    assert!(
        !bytes.windows(2).any(|w| w == [0x1b, b'p']),
        "no drawer kick"
    );
    assert_eq!(bytes.windows(2).filter(|w| w == &[0x1d, 0x56]).count(), 1);
    insta::assert_snapshot!(escaped(&bytes));
}

#[test]
fn z_report_copy_text_48() {
    let doc = report_document(&z_report(), Lang::En, true, false);
    assert_eq!(doc.id, "Z-1");
    let t = doc.render_text(48);
    assert!(
        t.lines().next().unwrap().contains("*** KOPI / COPY ***"),
        "{t}"
    );
    assert!(t.contains("Z REPORT no. 1"), "{t}");
    insta::assert_snapshot!(t);
}

#[test]
fn z_report_copy_escpos_32() {
    let doc = report_document(&z_report(), Lang::Nb, true, false);
    let bytes = doc.render_escpos(&opts(32)).unwrap();
    let dump = escaped(&bytes);
    // The COPY mark is printed white on black (GS B 1).
    assert!(bytes.windows(3).any(|w| w == [0x1d, b'B', 1]), "{dump}");
    insta::assert_snapshot!(dump);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printed_report_goes_through_the_durable_queue_to_the_printer() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.bin");
    let cfg = kasse::config::Config::from_toml_str(
        &format!(
            "[receipt.printer]\nkind = \"file\"\npath = \"{}\"\n",
            file.display()
        ),
        &|_| None,
    )
    .unwrap();
    let store =
        kasse::store::AsyncStore::new(kasse::store::Store::open_in_dir(dir.path()).unwrap())
            .unwrap();
    let (paper, _) = kasse::app::Paper::start_durable(&cfg, dir.path(), false, store.clone())
        .unwrap()
        .unwrap();
    assert_eq!(paper.print_report(&z_report(), true).await.unwrap(), "Z-1");
    let bytes = std::fs::read(&file).unwrap();
    let dump = escaped(&bytes);
    assert!(
        dump.contains("Z-RAPPORT nr. 1") || dump.contains("Z REPORT no. 1"),
        "{dump}"
    );
    assert!(dump.contains("KOPI / COPY"), "{dump}");
    // Logged as a copy job: never mistaken for a sale's receipt.
    assert!(!store.run(|s| s.has_receipt_print_job("Z-1")).await.unwrap());
    assert!(
        store
            .run(|s| s.pending_print_jobs())
            .await
            .unwrap()
            .is_empty()
    );
}
