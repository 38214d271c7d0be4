//! `kasse journal public-key | verify | rotate-key` and `kasse saft`: the signed electronic
//! journal's commands (kassasystemforskriften §§ 2-7-4, 2-7-6). Wiring only: the work is in
//! `store::fiscal` (SQL) and `service::saft` (the SAF-T export).
//!
//! `public-key`, `verify` and `saft` run beside a running till: they read the journal
//! read-only; `saft` appends only its own 13020 event through a short connection.
//! `rotate-key` owns the data directory (the running till holds its key in memory).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use time::{Date, OffsetDateTime, UtcOffset};

use crate::config::Config;
use crate::fiscal::saft::codes::EventKind;
use crate::fiscal::saft::{Company, OrgNumber, default_file_name};
use crate::lang::{Lang, Text};
use crate::service::saft::{ExportRequest, write_saft};
use crate::store::Store;
use crate::store::fiscal::{NewFiscalEvent, append_event_in_dir};

/// `kasse journal …`.
#[derive(Debug, clap::Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    pub cmd: JournalCmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum JournalCmd {
    /// Print the public key (PEM) of every key version, for Skatteetaten's signature checker.
    PublicKey,
    /// Re-check every signed transaction's signature chain (exit 1 names the first
    /// transaction that does not verify: a changed amount, a deleted or inserted transaction).
    Verify {
        /// First day (YYYY-MM-DD, the till's local date).
        #[arg(long, value_parser = parse_day)]
        from: Option<Date>,
        /// Last day (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        to: Option<Date>,
    },
    /// Make a new signing key version (the chain continues; old versions still verify).
    RotateKey {
        /// Why (journaled with the key).
        #[arg(long, default_value = "rotation")]
        reason: String,
    },
}

/// `kasse saft --from D --to D [--out PATH]`.
#[derive(Debug, clap::Args)]
pub struct SaftArgs {
    /// First day of the export (YYYY-MM-DD).
    #[arg(long, value_parser = parse_day)]
    pub from: Date,
    /// Last day of the export (YYYY-MM-DD).
    #[arg(long, value_parser = parse_day)]
    pub to: Date,
    /// File or folder (default: `SAF-T Cash Register_<orgnr>_<yyyyMMddHHmmss>.xml` here).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

/// A day as `YYYY-MM-DD` (clap value parser; the message names the format).
pub fn parse_day(s: &str) -> Result<Date, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), fmt).map_err(|_| {
        format!("«{s}» er ikke en dato; bruk ÅÅÅÅ-MM-DD / '{s}' is not a date; use YYYY-MM-DD")
    })
}

fn say(lang: Lang, t: &Text) {
    eprintln!("kasse: {}", t.get(lang));
}

fn join_error(e: tokio::task::JoinError) -> Text {
    Text::new(format!("Intern feil: {e}"), format!("Internal error: {e}"))
}

fn local_offset() -> UtcOffset {
    UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC)
}

/// `kasse journal …`: exit 0 when fine, 1 when the chain does not verify or on errors.
pub async fn journal_command(dir: &Path, args: JournalArgs, lang: Lang) -> i32 {
    let dir = dir.to_path_buf();
    let job = tokio::task::spawn_blocking(move || journal_blocking(&dir, args.cmd)).await;
    match job.map_err(join_error) {
        Ok(Ok((out, code))) => {
            let mut stdout = std::io::stdout();
            let _ = stdout.write_all(out.as_bytes());
            let _ = stdout.flush();
            if let Some(t) = code.1 {
                say(lang, &t);
            }
            code.0
        }
        Ok(Err(t)) | Err(t) => {
            say(lang, &t);
            1
        }
    }
}

type Outcome = (String, (i32, Option<Text>));

fn journal_blocking(dir: &Path, cmd: JournalCmd) -> Result<Outcome, Text> {
    match cmd {
        JournalCmd::PublicKey => {
            let store = Store::open_read_only(dir).map_err(|e| e.message())?;
            let keys = store.fiscal_keys().map_err(|e| e.message())?;
            if keys.is_empty() {
                return Err(Text::new(
                    "Journalen har ingen signaturnøkkel ennå. Start kassen én gang.",
                    "The journal has no signing key yet. Start the till once.",
                ));
            }
            let mut out = String::new();
            for k in keys {
                out.push_str(&format!(
                    "# keyVersion {} ({}, {})\n{}",
                    k.version,
                    crate::clock::rfc3339_millis(k.created_at),
                    k.reason,
                    k.public_key_pem
                ));
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Ok((out, (0, None)))
        }
        JournalCmd::Verify { from, to } => {
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                return Err(Text::new(
                    "--from må være før eller lik --to.",
                    "--from must be on or before --to.",
                ));
            }
            let store = Store::open_read_only(dir).map_err(|e| e.message())?;
            let check = store
                .verify_fiscal_chain(from, to)
                .map_err(|e| e.message())?;
            let mut out = String::new();
            for t in &check.tills {
                if let Some(f) = &t.report.first_failure {
                    out.push_str(&format!(
                        "result: journal NOT verified shop={} till={} first_bad_nr={} verified_before={}\n",
                        t.shop_id, t.till_id, f.nr, t.report.verified
                    ));
                    return Ok((out, (1, Some(f.text()))));
                }
            }
            if let Some((id, receipt)) = check.unsigned_sales.first() {
                out.push_str(&format!(
                    "result: journal NOT verified unsigned_sale={receipt} sale_id={id}\n"
                ));
                return Ok((
                    out,
                    (
                        1,
                        Some(Text::new(
                            format!(
                                "Salget med kvittering {receipt} er fullført, men har ingen signert transaksjon (slettet fra journalen?)."
                            ),
                            format!(
                                "Sale with receipt {receipt} is completed but has no signed transaction (deleted from the journal?)."
                            ),
                        )),
                    ),
                ));
            }
            out.push_str(&format!(
                "result: journal verified transactions={} tills={}\n",
                check.verified(),
                check.tills.len()
            ));
            Ok((out, (0, None)))
        }
        JournalCmd::RotateKey { reason } => {
            let now = OffsetDateTime::now_utc();
            let mut store = Store::open_in_dir_at(dir, now).map_err(|e| e.message())?;
            let v = store
                .rotate_fiscal_key(dir, now, &reason)
                .map_err(|e| e.message())?;
            Ok((format!("result: key rotated key_version={v}\n"), (0, None)))
        }
    }
}

/// The request and the file path of a SAF-T export made `now` with this machine's offset and
/// the config's company (`kasse saft` and `kasse hq saft`).
pub(crate) fn export_request(
    config: &Config,
    org: OrgNumber,
    args: &SaftArgs,
    now: OffsetDateTime,
) -> (ExportRequest, PathBuf) {
    let offset = local_offset();
    let local = now.to_offset(offset);
    let created = time::PrimitiveDateTime::new(local.date(), local.time());
    let name = default_file_name(&org, created);
    let path = match &args.out {
        Some(p) if p.is_dir() => p.join(&name),
        Some(p) => p.clone(),
        None => PathBuf::from(&name),
    };
    let req = ExportRequest {
        from: args.from,
        to: args.to,
        company: Company {
            org_number: org,
            name: config.shop.name.clone(),
            vat_registered: config.shop.vat_registered,
            street_address: None,
        },
        currency: config.shop.currency.code().to_string(),
        created,
        offset,
        user_id: None,
    };
    (req, path)
}

/// A file written beside its final path as `….xml.part` (0600) and renamed into place only
/// once complete and synced: nothing half-written is ever left under the final name.
pub(crate) struct PartFile {
    part: PathBuf,
    path: PathBuf,
}

fn write_error(e: &std::io::Error, p: &Path) -> Text {
    Text::new(
        format!("Kan ikke skrive {}: {e}", p.display()),
        format!("Cannot write {}: {e}", p.display()),
    )
}

impl PartFile {
    /// The partial file and the buffered writer to hand to the export.
    pub(crate) fn create(
        path: &Path,
    ) -> Result<(PartFile, std::io::BufWriter<std::fs::File>), Text> {
        let part = path.with_extension("xml.part");
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let file = o.open(&part).map_err(|e| write_error(&e, &part))?;
        Ok((
            PartFile {
                part,
                path: path.to_path_buf(),
            },
            std::io::BufWriter::new(file),
        ))
    }

    /// Remove the partial file (the export failed).
    pub(crate) fn discard(self) {
        let _ = std::fs::remove_file(&self.part);
    }

    /// Flush and sync what `out` wrote, then rename the file into place.
    pub(crate) fn commit(self, out: std::io::BufWriter<std::fs::File>) -> Result<(), Text> {
        let synced = out
            .into_inner()
            .map_err(|e| write_error(e.error(), &self.part))
            .and_then(|f| f.sync_all().map_err(|e| write_error(&e, &self.part)));
        if let Err(t) = synced {
            self.discard();
            return Err(t);
        }
        std::fs::rename(&self.part, &self.path).map_err(|e| write_error(&e, &self.path))
    }
}

/// `kasse saft`: exit 0 with the file written, 1 on errors (nothing half-written is left).
pub async fn saft_command(config: &Config, dir: &Path, args: SaftArgs, lang: Lang) -> i32 {
    let (config, dir) = (config.clone(), dir.to_path_buf());
    let job = tokio::task::spawn_blocking(move || saft_blocking(&config, &dir, &args)).await;
    match job.map_err(join_error) {
        Ok(Ok(line)) => {
            println!("{line}");
            0
        }
        Ok(Err(t)) | Err(t) => {
            say(lang, &t);
            1
        }
    }
}

fn saft_blocking(config: &Config, dir: &Path, args: &SaftArgs) -> Result<String, Text> {
    let org = OrgNumber::parse(config.shop.org_number.as_deref()).map_err(|e| e.text())?;
    if args.from > args.to {
        return Err(Text::new(
            "--from må være før eller lik --to.",
            "--from must be on or before --to.",
        ));
    }
    let now = OffsetDateTime::now_utc();
    let (req, path) = export_request(config, org, args, now);
    // The export is itself an event (13020), journaled before the file is written so it is in
    // the file.
    let ev = NewFiscalEvent {
        shop_id: &config.shop.shop_id,
        till_id: &config.shop.till_id,
        kind: EventKind::Export,
        at: now,
        staff_id: None,
        sale_id: None,
        detail: format!(
            "SAF-T Cash Register {} – {}: {}",
            args.from,
            args.to,
            path.display()
        ),
    };
    let event_id = append_event_in_dir(dir, &ev).map_err(|e| e.message())?;
    let store = Store::open_read_only(dir).map_err(|e| e.message())?;
    let extra = store
        .fiscal_events()
        .map_err(|e| e.message())?
        .into_iter()
        .find(|e| e.id == event_id);
    let (part, writer) = PartFile::create(&path)?;
    let result = write_saft(&store, &req, extra.as_ref(), writer);
    let (out, summary) = match result {
        Ok(v) => v,
        Err(e) => {
            part.discard();
            return Err(e.text());
        }
    };
    part.commit(out)?;
    Ok(format!(
        "result: saft written path={} transactions={} events={}",
        path.display(),
        summary.transactions,
        summary.events
    ))
}
