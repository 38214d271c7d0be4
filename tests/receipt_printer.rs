#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The print queue: exact bytes to a file, a dead network printer never fails the sale,
//! retry on demand, reprint as COPY.

mod common;
use common::receipts as receipt_fixtures;
use kasse::receipt::escpos::{DRAWER_KICK, EscPosOptions, render};
use kasse::receipt::printer::{PrintError, PrintQueue, PrintSink, PrinterTarget};
use kasse::receipt::{PrinterConfig, ReceiptSettings};
use receipt_fixtures::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn file_target_gets_exactly_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipts.bin");
    let cfg = ReceiptSettings {
        printer: PrinterConfig::File { path: path.clone() },
        ..ReceiptSettings::default()
    };
    let target = PrinterTarget::from_config(&cfg.printer).unwrap();
    let opts = EscPosOptions::from_config(&cfg);
    let q = PrintQueue::start(Arc::new(target), opts.clone()).unwrap();
    let r = printable(&split_sale());
    q.submit(&r).unwrap();
    let st = q.wait_idle(WAIT);
    assert_eq!(st.queued, 0);
    assert_eq!(st.printed, 1);
    assert_eq!(st.last_error, None);
    let expected = render(&r, &opts).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), expected);

    // A second receipt is appended, not overwritten.
    let n = printable(&normal_sale());
    q.submit(&n).unwrap();
    q.wait_idle(WAIT);
    let mut both = expected.clone();
    both.extend(render(&n, &opts).unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), both);
    q.shutdown();
}

#[test]
fn dead_network_printer_queues_the_job_with_an_error() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let address = format!("127.0.0.1:{port}");
    let target = PrinterTarget::Network {
        address: address.clone(),
        timeout: Duration::from_millis(500),
    };
    let q = PrintQueue::start(Arc::new(target), EscPosOptions::default()).unwrap();
    // The sale goes on: submit succeeds at once.
    q.submit(&printable(&normal_sale())).unwrap();
    let st = q.wait_idle(WAIT);
    assert_eq!(st.queued, 1, "the job stays queued");
    let err = st.last_error.expect("the cashier sees the error");
    assert!(
        err.en.contains(&address) && err.nb.contains(&address),
        "{err:?}"
    );
    assert!(matches!(q.last_error(), Some(PrintError::Connect { .. })));
    // Still queued after a retry against the dead printer.
    q.retry();
    let st = q.wait_idle(WAIT);
    assert_eq!(st.queued, 1);
    assert!(st.last_error.is_some());
    assert_eq!(q.jobs()[0].receipt_number, "00000042");
    q.shutdown();
}

#[test]
fn network_printer_receives_the_stream() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = l.local_addr().unwrap().to_string();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let (mut s, _) = l.accept().unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).unwrap();
        buf
    });
    let target = PrinterTarget::Network {
        address,
        timeout: Duration::from_secs(2),
    };
    let opts = EscPosOptions::default();
    let q = PrintQueue::start(Arc::new(target), opts.clone()).unwrap();
    let r = printable(&normal_sale());
    q.submit(&r).unwrap();
    assert_eq!(q.wait_idle(WAIT).printed, 1);
    assert_eq!(reader.join().unwrap(), render(&r, &opts).unwrap());
    q.shutdown();
}

/// Fails the first `fail` sends, records every successful one.
struct Flaky {
    fail: AtomicUsize,
    sent: Mutex<Vec<Vec<u8>>>,
}

impl PrintSink for Flaky {
    fn send(&self, bytes: &[u8]) -> Result<(), PrintError> {
        if self.fail.load(Ordering::SeqCst) > 0 {
            self.fail.fetch_sub(1, Ordering::SeqCst);
            return Err(PrintError::Write {
                target: "flaky".into(),
                reason: "out of paper".into(),
            });
        }
        self.sent.lock().unwrap().push(bytes.to_vec());
        Ok(())
    }
    fn describe(&self) -> String {
        "flaky".into()
    }
}

#[test]
fn failure_keeps_order_and_retry_prints_everything() {
    let sink = Arc::new(Flaky {
        fail: AtomicUsize::new(1),
        sent: Mutex::new(Vec::new()),
    });
    let opts = EscPosOptions::default();
    let q = PrintQueue::start(sink.clone(), opts.clone()).unwrap();
    let a = printable(&normal_sale());
    let b = printable(&refund_sale());
    q.submit(&a).unwrap();
    let st = q.wait_idle(WAIT);
    assert_eq!(st.queued, 1);
    assert!(st.last_error.unwrap().en.contains("out of paper"));
    // More sales while the printer is down: they queue behind the failed one.
    q.submit(&b).unwrap();
    assert_eq!(q.wait_idle(WAIT).queued, 2);
    assert!(sink.sent.lock().unwrap().is_empty());
    q.retry();
    let st = q.wait_idle(WAIT);
    assert_eq!((st.queued, st.printed, st.last_error), (0, 2, None));
    let sent = sink.sent.lock().unwrap();
    assert_eq!(sent[0], render(&a, &opts).unwrap());
    assert_eq!(sent[1], render(&b, &opts).unwrap());
    q.shutdown();
}

#[test]
fn reprint_is_a_copy_without_drawer_kick() {
    let sink = Arc::new(Flaky {
        fail: AtomicUsize::new(0),
        sent: Mutex::new(Vec::new()),
    });
    let q = PrintQueue::start(sink.clone(), EscPosOptions::default()).unwrap();
    let r = printable(&split_sale());
    q.submit(&r).unwrap();
    q.reprint(&r).unwrap();
    assert_eq!(q.wait_idle(WAIT).printed, 2);
    let sent = sink.sent.lock().unwrap();
    assert!(contains(&sent[0], &DRAWER_KICK));
    assert!(!contains(&sent[0], b"KOPI / COPY"));
    assert!(contains(&sent[1], b"KOPI / COPY"));
    assert!(!contains(&sent[1], &DRAWER_KICK));
    q.shutdown();
}

/// Blocks every send until told to go on.
struct Gate(Mutex<mpsc::Receiver<()>>);

impl PrintSink for Gate {
    fn send(&self, _bytes: &[u8]) -> Result<(), PrintError> {
        self.0.lock().unwrap().recv().unwrap();
        Ok(())
    }
    fn describe(&self) -> String {
        "gate".into()
    }
}

#[test]
fn submit_never_waits_for_the_printer() {
    let (tx, rx) = mpsc::channel();
    let q = PrintQueue::start(Arc::new(Gate(Mutex::new(rx))), EscPosOptions::default()).unwrap();
    // The printer hangs on the first job; the next sales still queue immediately.
    for _ in 0..3 {
        q.submit(&printable(&normal_sale())).unwrap();
    }
    assert_eq!(q.status().queued, 3);
    for _ in 0..3 {
        tx.send(()).unwrap();
    }
    let st = q.wait_idle(WAIT);
    assert_eq!((st.queued, st.printed), (0, 3));
    q.shutdown();
}

#[test]
fn device_target_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let t = PrinterTarget::Device(dir.path().join("lp9"));
    let e = t.send(b"x").unwrap_err();
    assert!(matches!(e, PrintError::Open { .. }));
    assert!(e.text().nb.contains("lp9"));
    // An existing device file is written to.
    let dev = dir.path().join("lp0");
    std::fs::write(&dev, b"").unwrap();
    PrinterTarget::Device(dev.clone()).send(b"\x1b@").unwrap();
    assert_eq!(std::fs::read(&dev).unwrap(), b"\x1b@");
    assert_eq!(PrinterTarget::from_config(&PrinterConfig::None), None);
}

#[test]
fn discard_all_clears_a_stuck_queue() {
    let sink = Arc::new(Flaky {
        fail: AtomicUsize::new(usize::MAX),
        sent: Mutex::new(Vec::new()),
    });
    let q = PrintQueue::start(sink, EscPosOptions::default()).unwrap();
    q.submit(&printable(&normal_sale())).unwrap();
    q.submit(&printable(&split_sale())).unwrap();
    let st = q.wait_idle(WAIT);
    assert_eq!(st.queued, 2);
    assert_eq!(q.discard_all(), 2);
    let st = q.status();
    assert_eq!((st.queued, st.last_error), (0, None));
    // Dropping the last handle stops the thread (no hang, no panic).
    drop(q);
}
