#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `kasse` binary: `kasse cash float|withdraw|deposit|list` and
//! `kasse report --z --counted KR`: each movement signed (the chain still verifies), the drawer
//! kicked on the file printer, bad input named by field, and the Z showing expected, counted
//! and the difference.

mod common;
use common::bin::text;

const PIN: &str = "135790";

fn run(args: &[&str], cfg: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    common::bin::kasse(args, cfg, dir, Some(PIN))
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn kicks(p: &std::path::Path) -> usize {
    std::fs::read(p)
        .unwrap_or_default()
        .windows(2)
        .filter(|w| w == &[0x1b, 0x70])
        .count()
}

#[test]
fn cash_commands_and_a_counted_z_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let printer = dir.path().join("printer.bin");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n[ui]\nlanguage = \"en\"\n\
             [receipt.printer]\nkind = \"file\"\npath = \"{}\"\n",
            printer.display()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let (c, d) = (&cfg, &data);
    let manager = run(&["create-manager", "--name", "Mona"], c, d);
    assert!(manager.status.success(), "{}", text(&manager));

    let float = run(&["cash", "float", "1 000"], c, d);
    assert_eq!(float.status.code(), Some(0), "{}", text(&float));
    assert!(
        stdout(&float).contains("result: recorded kind=float") && stdout(&float).contains("nr=1"),
        "{}",
        text(&float)
    );
    assert_eq!(kicks(&printer), 1, "the drawer opens for the float");

    // Bad input is named by its field; nothing is recorded, the drawer stays shut.
    let bad = run(
        &["cash", "withdraw", "fem hundre", "--reason", "bank"],
        c,
        d,
    );
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(
        stdout(&bad).contains("reason=Withdrawal:"),
        "{}",
        text(&bad)
    );
    let no_reason = run(&["cash", "withdraw", "500"], c, d);
    assert_eq!(no_reason.status.code(), Some(1), "{}", text(&no_reason));
    assert!(
        stdout(&no_reason).contains("reason"),
        "{}",
        text(&no_reason)
    );
    assert_eq!(kicks(&printer), 1);

    let out = run(&["cash", "withdraw", "500", "--reason", "til banken"], c, d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("nr=2"), "{}", text(&out));
    let inn = run(&["cash", "deposit", "200", "--reason", "veksel"], c, d);
    assert_eq!(inn.status.code(), Some(0), "{}", text(&inn));
    assert_eq!(kicks(&printer), 3);

    let list = run(&["cash", "list"], c, d);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list));
    assert!(stdout(&list).contains("withdrawal"), "{}", text(&list));
    assert!(
        stdout(&list).contains("expected=kr 700,00"),
        "{}",
        text(&list)
    );

    // The Z, counted 690 kr: 10 kr short.
    let z = run(
        &["report", "--z", "--counted", "690", "--no-reconcile"],
        c,
        d,
    );
    assert_eq!(z.status.code(), Some(0), "{}", text(&z));
    let zt = stdout(&z);
    for needle in [
        "Expected cash",
        "Counted cash",
        "Difference",
        "Opening float",
    ] {
        assert!(zt.contains(needle), "{needle} missing:\n{zt}");
    }
    assert!(zt.contains("-kr 10,00"), "{zt}");
    // A bad count is named.
    let bad = run(&["report", "--z", "--counted", "mye"], c, d);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(stdout(&bad).contains("Counted cash:"), "{}", text(&bad));

    // float, withdrawal, deposit and the difference: four signed rows, the chain verifies.
    let verify = run(&["journal", "verify"], c, d);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(
        stdout(&verify).contains("result: journal verified transactions=4 "),
        "{}",
        text(&verify)
    );
}
