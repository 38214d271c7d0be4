#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `kasse catalog import FILE.csv`: a bad file exits 1 naming the line and the column
//! and imports nothing; a good Windows-1252 file from Norwegian Excel imports, and a second file
//! reports its price change (journaled as 13021).

mod common;
use common::bin::text;

fn run(args: &[&str], cfg: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    common::bin::kasse(args, cfg, dir, None)
}

#[test]
fn catalog_import_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[ui]\nlanguage = \"en\"\n").unwrap();

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "ean;name;price;vat;group\n7038010001000;Kvikk Lunsj;24,90;15;04006\n7038010001017;Cola;32,90;14;04011\n",
    )
    .unwrap();
    let o = run(&["catalog", "import", bad.to_str().unwrap()], &cfg, &data);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("line 3")
            && t.contains("\"vat\"")
            && t.contains("\"14\"")
            && t.contains("Nothing was imported"),
        "{t}"
    );

    // Excel's "CSV (semikolonseparert)": Windows-1252, ø as 0xF8.
    let good = dir.path().join("good.csv");
    let mut bytes =
        b"strekkode;navn;pris;mva;varegruppe\r\n7038010001000;Sm\xf8r 500 g;54,90;15;4006\r\n"
            .to_vec();
    bytes.extend_from_slice(b"7038010001017;Cola;32,90;15;4011\r\n");
    std::fs::write(&good, &bytes).unwrap();
    let o = run(&["catalog", "import", good.to_str().unwrap()], &cfg, &data);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("imported: 2") && t.contains("added: 2"), "{t}");

    std::fs::write(
        &good,
        "strekkode;navn;pris;mva;varegruppe\n7038010001000;Smør 500 g;59,90;15;4006\n",
    )
    .unwrap();
    let o = run(&["catalog", "import", good.to_str().unwrap()], &cfg, &data);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("price_changes: 1")
            && t.contains("\"Smør 500 g\": old price 54.90 NOK, new price 59.90 NOK"),
        "{t}"
    );
}
