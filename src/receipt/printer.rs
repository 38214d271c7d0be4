//! Printer targets and the print queue.
//!
//! A sale never waits for paper: [`PrintQueue::submit`] renders the receipt (pure, fast),
//! appends the job to an in-memory queue and wakes a dedicated printing thread. The thread
//! sends jobs in order; when a send fails, the job stays at the head of the queue, the error
//! is kept in [`PrintStatus::last_error`] for the cashier's screen, and the thread waits for
//! [`PrintQueue::retry`]. A reprint is the same receipt marked COPY ([`PrintQueue::reprint`]).
//!
//! Durability: started with a [`JobLog`] ([`PrintQueue::start_durable`]), every job is written
//! to the log (the journal's `print_jobs` table) *before* it is queued, and marked done right
//! after the printer took the bytes. On start the jobs the log still has pending are queued
//! first, so a receipt queued while the printer was down is printed after a restart — once: a
//! job is only printed twice if the till stops in the instant between the printer taking it
//! and the log marking it done (at least once, never lost). Without a log (tests, tools) the
//! queue is memory only.

use crate::lang::Text;
use crate::receipt::PrinterConfig;
use crate::receipt::escpos::{EscPosError, EscPosOptions, render};
use crate::receipt::model::PrintableReceipt;
use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Why the bytes did not reach the printer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error(
        "Printer {target}: cannot connect ({reason}); check that the printer is on, has paper and is on the network, then retry"
    )]
    Connect { target: String, reason: String },
    #[error(
        "Printer {target}: cannot open ({reason}); check the cable / device path and permissions, then retry"
    )]
    Open { target: String, reason: String },
    #[error("Printer {target}: sending failed ({reason}); check the printer, then retry")]
    Write { target: String, reason: String },
    #[error(
        "Printer: none configured; set [receipt.printer] in the config or use the text receipt"
    )]
    NoPrinter,
    #[error(transparent)]
    Render(#[from] EscPosError),
    #[error(
        "Print queue: cannot save the print job in the journal ({0}); check the disk, then print again (F4)"
    )]
    Log(String),
}

impl PrintError {
    pub fn text(&self) -> Text {
        let nb = match self {
            PrintError::Connect { target, reason } => format!(
                "Skriver {target}: får ikke kontakt ({reason}); sjekk at skriveren er på, har papir og er på nettet, og prøv igjen"
            ),
            PrintError::Open { target, reason } => format!(
                "Skriver {target}: kan ikke åpnes ({reason}); sjekk kabel / enhetsfil og tilganger, og prøv igjen"
            ),
            PrintError::Write { target, reason } => format!(
                "Skriver {target}: sendingen feilet ({reason}); sjekk skriveren og prøv igjen"
            ),
            PrintError::NoPrinter => "Skriver: ingen er satt opp; sett [receipt.printer] i oppsettet eller bruk tekstkvitteringen".to_owned(),
            PrintError::Render(e) => return e.text(),
            PrintError::Log(reason) => format!(
                "Utskriftskø: kan ikke lagre utskriften i journalen ({reason}); sjekk disken og skriv ut på nytt (F4)"
            ),
        };
        Text::new(nb, self.to_string())
    }
}

/// Something that takes a complete ESC/POS stream. Blocking; called on the printing thread.
pub trait PrintSink: Send + Sync {
    fn send(&self, bytes: &[u8]) -> Result<(), PrintError>;
    /// For messages (`192.168.1.50:9100`, `/dev/usb/lp0`).
    fn describe(&self) -> String;
}

/// The printer targets kasse supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterTarget {
    /// Raw TCP (port 9100), with connect and write timeouts.
    Network { address: String, timeout: Duration },
    /// A device file such as `/dev/usb/lp0` (must exist; opened write-only).
    Device(PathBuf),
    /// A plain file; bytes are appended (created if missing).
    File(PathBuf),
}

impl PrinterTarget {
    /// The target from `[receipt.printer]`; `None` when no printer is configured.
    pub fn from_config(c: &PrinterConfig) -> Option<PrinterTarget> {
        match c {
            PrinterConfig::None => None,
            PrinterConfig::Network {
                address,
                timeout_ms,
            } => Some(PrinterTarget::Network {
                address: address.clone(),
                timeout: Duration::from_millis((*timeout_ms).max(1)),
            }),
            PrinterConfig::Device { path } => Some(PrinterTarget::Device(path.clone())),
            PrinterConfig::File { path } => Some(PrinterTarget::File(path.clone())),
        }
    }
}

fn connect(address: &str, timeout: Duration) -> Result<TcpStream, PrintError> {
    let fail = |reason: String| PrintError::Connect {
        target: address.to_owned(),
        reason,
    };
    let addrs: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|e| fail(format!("bad address, expected host:port: {e}")))?
        .collect();
    let mut last = String::from("no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e.to_string(),
        }
    }
    Err(fail(last))
}

impl PrintSink for PrinterTarget {
    fn send(&self, bytes: &[u8]) -> Result<(), PrintError> {
        let target = self.describe();
        let write_err = |e: std::io::Error| PrintError::Write {
            target: target.clone(),
            reason: e.to_string(),
        };
        match self {
            PrinterTarget::Network { address, timeout } => {
                let mut s = connect(address, *timeout)?;
                s.set_write_timeout(Some(*timeout)).map_err(write_err)?;
                s.write_all(bytes).map_err(write_err)?;
                s.flush().map_err(write_err)?;
                Ok(())
            }
            PrinterTarget::Device(path) => {
                let mut f =
                    OpenOptions::new()
                        .write(true)
                        .open(path)
                        .map_err(|e| PrintError::Open {
                            target: target.clone(),
                            reason: e.to_string(),
                        })?;
                f.write_all(bytes).map_err(write_err)?;
                f.flush().map_err(write_err)
            }
            PrinterTarget::File(path) => {
                let mut f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| PrintError::Open {
                        target: target.clone(),
                        reason: e.to_string(),
                    })?;
                f.write_all(bytes).map_err(write_err)?;
                f.flush().map_err(write_err)
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            PrinterTarget::Network { address, .. } => address.clone(),
            PrinterTarget::Device(p) | PrinterTarget::File(p) => p.display().to_string(),
        }
    }
}

/// What the cashier sees about the printer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrintStatus {
    /// Jobs not yet printed (including the one being sent).
    pub queued: usize,
    /// The last failure; cleared by the next successful print.
    pub last_error: Option<Text>,
    /// Jobs printed since start.
    pub printed: u64,
}

/// One queued print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJob {
    pub id: u64,
    /// `00000042`, for the screen.
    pub receipt_number: String,
    pub copy: bool,
    pub bytes: Vec<u8>,
    /// The job's id in the [`JobLog`], if the queue is durable.
    pub durable_id: Option<i64>,
}

/// What a logged job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// The first paper receipt of a sale.
    Receipt,
    /// A reprint marked COPY.
    Copy,
    /// The cash drawer pulse alone (open drawer without a sale).
    Drawer,
}

/// A job the log still has pending (printed on start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedJob {
    pub durable_id: i64,
    pub kind: JobKind,
    pub receipt_number: String,
    pub bytes: Vec<u8>,
}

/// Durable storage for print jobs (the journal). Blocking; called from the thread that submits
/// (never the UI task) and from the printing thread.
pub trait JobLog: Send + Sync {
    /// Write a pending job before it is queued; its durable id.
    fn write(&self, kind: JobKind, receipt_number: &str, bytes: &[u8]) -> Result<i64, PrintError>;
    /// The printer took the job.
    fn done(&self, durable_id: i64) -> Result<(), PrintError>;
    /// Jobs written but never marked done, oldest first.
    fn pending(&self) -> Result<Vec<LoggedJob>, PrintError>;
}

#[derive(Default)]
struct State {
    jobs: VecDeque<PrintJob>,
    next_id: u64,
    last_error: Option<PrintError>,
    /// The head job failed; wait for `retry`.
    paused: bool,
    /// The thread is sending the head job right now.
    busy: bool,
    printed: u64,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the printing thread.
    work: Condvar,
    /// Wakes waiters in [`PrintQueue::wait_idle`].
    idle: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-updated in a way that loses
        // jobs (every update is a single assignment), so keep going with the inner value.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Stops the printing thread when the last [`PrintQueue`] clone is dropped.
struct Handle(Arc<Shared>);

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.lock().shutdown = true;
        self.0.work.notify_all();
    }
}

/// The print queue. Cheap to clone; every clone talks to the same thread, which stops when
/// the last clone is dropped (or on [`PrintQueue::shutdown`]).
#[derive(Clone)]
pub struct PrintQueue {
    shared: Arc<Shared>,
    _handle: Arc<Handle>,
    options: EscPosOptions,
    /// Send the plain-text rendering instead of ESC/POS (a text file for terminals without a
    /// printer, e.g. training receipts in `--demo`).
    text: bool,
    log: Option<Arc<dyn JobLog>>,
}

/// What a text printer gets for a drawer pulse (it has no drawer).
pub const TEXT_DRAWER_LINE: &str = "[skuff åpnet / drawer opened]\n\n";

impl PrintQueue {
    /// Start the printing thread for `sink`.
    pub fn start(sink: Arc<dyn PrintSink>, options: EscPosOptions) -> std::io::Result<PrintQueue> {
        PrintQueue::start_with(sink, options, false)
    }

    /// Like [`PrintQueue::start`], but every job is the text rendering (same layout, width,
    /// code and footer) followed by a blank line: for a plain text file instead of a printer.
    pub fn start_text(
        sink: Arc<dyn PrintSink>,
        options: EscPosOptions,
    ) -> std::io::Result<PrintQueue> {
        PrintQueue::start_with(sink, options, true)
    }

    /// A durable queue: every job is written to `log` before it is queued and marked done
    /// after printing; the jobs `log` still has pending are queued first (printed on start).
    /// `text` as in [`PrintQueue::start_text`]. Returns the queue and how many old jobs were
    /// queued again.
    pub fn start_durable(
        sink: Arc<dyn PrintSink>,
        options: EscPosOptions,
        text: bool,
        log: Arc<dyn JobLog>,
    ) -> Result<(PrintQueue, usize), PrintError> {
        let pending = log.pending()?;
        let n = pending.len();
        let q = PrintQueue::start_inner(sink, options, text, Some(log), pending)
            .map_err(|e| PrintError::Log(format!("printing thread: {e}")))?;
        Ok((q, n))
    }

    fn start_with(
        sink: Arc<dyn PrintSink>,
        options: EscPosOptions,
        text: bool,
    ) -> std::io::Result<PrintQueue> {
        PrintQueue::start_inner(sink, options, text, None, Vec::new())
    }

    fn start_inner(
        sink: Arc<dyn PrintSink>,
        options: EscPosOptions,
        text: bool,
        log: Option<Arc<dyn JobLog>>,
        pending: Vec<LoggedJob>,
    ) -> std::io::Result<PrintQueue> {
        let mut state = State::default();
        for j in pending {
            state.next_id += 1;
            state.jobs.push_back(PrintJob {
                id: state.next_id,
                receipt_number: j.receipt_number,
                copy: j.kind == JobKind::Copy,
                bytes: j.bytes,
                durable_id: Some(j.durable_id),
            });
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            work: Condvar::new(),
            idle: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let worker_log = log.clone();
        std::thread::Builder::new()
            .name("kasse-print".to_owned())
            .spawn(move || run(&worker, sink.as_ref(), worker_log.as_deref()))?;
        Ok(PrintQueue {
            _handle: Arc::new(Handle(Arc::clone(&shared))),
            shared,
            options,
            text,
            log,
        })
    }

    /// Queue one job: written to the log first (if durable), then handed to the thread.
    fn push(
        &self,
        kind: JobKind,
        receipt_number: String,
        bytes: Vec<u8>,
    ) -> Result<u64, PrintError> {
        let durable_id = match &self.log {
            Some(log) => Some(log.write(kind, &receipt_number, &bytes)?),
            None => None,
        };
        let mut s = self.shared.lock();
        s.next_id += 1;
        let id = s.next_id;
        s.jobs.push_back(PrintJob {
            id,
            receipt_number,
            copy: kind == JobKind::Copy,
            bytes,
            durable_id,
        });
        drop(s);
        self.shared.work.notify_all();
        Ok(id)
    }

    /// Open the cash drawer without a receipt: just the ESC/POS pulse (a text printer gets
    /// the line [`TEXT_DRAWER_LINE`]). Queued like a receipt (durable if the queue is).
    pub fn open_drawer(&self) -> Result<u64, PrintError> {
        let bytes = if self.text {
            TEXT_DRAWER_LINE.as_bytes().to_vec()
        } else {
            crate::receipt::escpos::drawer_pulse_only()
        };
        self.push(JobKind::Drawer, String::new(), bytes)
    }

    /// Render `receipt` and queue it. Never blocks on the printer; fails only when the
    /// receipt cannot be rendered. Returns the job id.
    pub fn submit(&self, receipt: &PrintableReceipt) -> Result<u64, PrintError> {
        let bytes = if self.text {
            let mut t = crate::receipt::text::render_with(
                receipt,
                self.options.width,
                self.options.code,
                &self.options.footer,
            );
            t.push('\n');
            if self.options.drawer_kick && receipt.has_cash() && !receipt.flags.copy {
                // A text file has no drawer: say where the pulse would have gone.
                t.push_str(TEXT_DRAWER_LINE);
            }
            t.into_bytes()
        } else {
            render(receipt, &self.options)?
        };
        let kind = if receipt.flags.copy {
            JobKind::Copy
        } else {
            JobKind::Receipt
        };
        self.push(kind, receipt.receipt_number.to_string(), bytes)
    }

    /// Queue a plain document (an X/Z report) in the paper's format (ESC/POS, or text for a
    /// text printer). Logged as a `copy` job under the document's id, so it is never taken
    /// for a sale's receipt (which is printed once) and never kicks the drawer.
    pub fn submit_document(
        &self,
        doc: &crate::receipt::document::PaperDocument,
    ) -> Result<u64, PrintError> {
        let bytes = if self.text {
            let mut t = doc.render_text(self.options.width);
            t.push('\n');
            t.into_bytes()
        } else {
            doc.render_escpos(&self.options)?
        };
        self.push(JobKind::Copy, doc.id.clone(), bytes)
    }

    /// Print `receipt` again, marked COPY (and without kicking the drawer again).
    pub fn reprint(&self, receipt: &PrintableReceipt) -> Result<u64, PrintError> {
        // The drawer opened with the original; a copy must not open it again.
        let q = PrintQueue {
            shared: Arc::clone(&self.shared),
            _handle: Arc::clone(&self._handle),
            options: EscPosOptions {
                drawer_kick: false,
                ..self.options.clone()
            },
            text: self.text,
            log: self.log.clone(),
        };
        q.submit(&receipt.as_copy())
    }

    /// Try the failed job again.
    pub fn retry(&self) {
        let mut s = self.shared.lock();
        s.paused = false;
        drop(s);
        self.shared.work.notify_all();
    }

    /// Drop every queued job (after the cashier confirmed; e.g. the printer is gone for good).
    pub fn discard_all(&self) -> usize {
        let mut s = self.shared.lock();
        let busy = usize::from(s.busy);
        let n = s.jobs.len().saturating_sub(busy);
        // The job being sent (if any) stays; the thread removes it when done.
        let mut all: VecDeque<PrintJob> = s.jobs.drain(..).collect();
        let dropped: Vec<PrintJob> = all.split_off(busy.min(all.len())).into_iter().collect();
        s.jobs = all;
        s.paused = false;
        s.last_error = None;
        drop(s);
        if let Some(log) = &self.log {
            // Discarded on purpose: not printed again after a restart either.
            for j in dropped.iter().filter_map(|j| j.durable_id) {
                if let Err(e) = log.done(j) {
                    tracing::error!(error = %e, "discarded print job not marked done");
                }
            }
        }
        self.shared.idle.notify_all();
        n
    }

    /// The queued jobs (for a "not printed" list).
    pub fn jobs(&self) -> Vec<PrintJob> {
        self.shared.lock().jobs.iter().cloned().collect()
    }

    pub fn status(&self) -> PrintStatus {
        let s = self.shared.lock();
        PrintStatus {
            queued: s.jobs.len(),
            last_error: s.last_error.as_ref().map(PrintError::text),
            printed: s.printed,
        }
    }

    /// The last error as a typed value.
    pub fn last_error(&self) -> Option<PrintError> {
        self.shared.lock().last_error.clone()
    }

    /// Block until the thread has nothing more it can do now (queue empty, or paused on an
    /// error), or `timeout` passes. For tests and shutdown; never call it on the UI task.
    pub fn wait_idle(&self, timeout: Duration) -> PrintStatus {
        let deadline = std::time::Instant::now() + timeout;
        let mut s = self.shared.lock();
        while !(s.jobs.is_empty() || s.paused) || s.busy {
            let now = std::time::Instant::now();
            if now >= deadline {
                break;
            }
            s = match self.shared.idle.wait_timeout(s, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        drop(s);
        self.status()
    }

    /// Stop the printing thread (queued jobs stay in memory and are lost with the process).
    pub fn shutdown(&self) {
        self.shared.lock().shutdown = true;
        self.shared.work.notify_all();
    }
}

fn run(shared: &Shared, sink: &dyn PrintSink, log: Option<&dyn JobLog>) {
    loop {
        let job = {
            let mut s = shared.lock();
            loop {
                if s.shutdown {
                    return;
                }
                if !s.paused
                    && let Some(j) = s.jobs.front()
                {
                    let j = j.clone();
                    s.busy = true;
                    break j;
                }
                shared.idle.notify_all();
                s = match shared.work.wait(s) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
        };
        let result = sink.send(&job.bytes);
        if result.is_ok()
            && let (Some(log), Some(durable)) = (log, job.durable_id)
            && let Err(e) = log.done(durable)
        {
            // Marked done before the job counts as printed, so a restart never prints a job
            // the printer already took — unless this mark fails.
            tracing::error!(receipt = %job.receipt_number, error = %e, "printed job not marked done; it may print again after a restart");
        }
        let mut s = shared.lock();
        s.busy = false;
        match result {
            Ok(()) => {
                if s.jobs.front().is_some_and(|j| j.id == job.id) {
                    s.jobs.pop_front();
                }
                s.printed += 1;
                s.last_error = None;
                tracing::info!(receipt = %job.receipt_number, copy = job.copy, "receipt printed");
            }
            Err(e) => {
                tracing::warn!(receipt = %job.receipt_number, error = %e, "printing failed; job kept in the queue");
                s.last_error = Some(e);
                s.paused = true;
            }
        }
        drop(s);
        shared.idle.notify_all();
    }
}
