//! The signed electronic journal (kassasystemforskriften § 2-7-6, migration 0011): the till's
//! signing keys, the signed cash transactions and the 13xxx events. Append-only: triggers
//! refuse UPDATE and DELETE; a correction is a new row.
//!
//! - **Keys.** [`Store::open_in_dir`] calls [`Store::ensure_fiscal_key`]: the first start of a
//!   data directory (or of an existing journal without a key) generates an RSA-1024 / e=65537
//!   key, writes the private half to `<data dir>/fiscal-key-<version>.pem` (PKCS#1 PEM, 0600,
//!   folder 0700; never in the database, never logged) and records the public key PEM with its
//!   `keyVersion` in `fiscal_keys`. Later starts load that file once and hand it to the store
//!   ([`TillSigner`]); nothing reads the key per sale. A missing key file (a restored backup, a
//!   moved database) or [`Store::rotate_fiscal_key`] makes the next version; the chain simply
//!   continues with it.
//! - **Signing.** [`append_signed`] is the one function that signs: it reads the till's last
//!   `nr` and signature, builds `previousSignature;transDate;transTime;nr;transAmntIn;transAmntEx`
//!   (first: `0`), signs it and inserts the row, on the connection of the caller's transaction.
//!   The sale paths in `journal.rs` call it inside the transaction that journals the sale's
//!   final state (paid: cash, Vipps, split; voided); refunds / returns call it through
//!   [`super::Tx::append_signed`] with negative amounts and `kind` [`SignedKind::Return`].
//! - **Events.** [`append_event`] / [`Store::fiscal_event`]: one 13xxx row (start, stop,
//!   software update, export …).
//! - **Verify.** [`Store::verify_fiscal_chain`] streams each till's rows in `nr` order into
//!   [`crate::fiscal::signature::try_verify_chain`] and lists completed sales that have no
//!   signed row (a deleted last transaction leaves no broken link, but leaves such a sale).

use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use time::{Date, OffsetDateTime, Time, UtcOffset};

use super::error::StoreError;
use super::sql::{Ts, meta_get, meta_set};
use super::{DB_FILE_NAME, Store, Tx};
use crate::fiscal::saft::codes::EventKind;
use crate::fiscal::signature::{
    self, ChainRecord, ChainReport, FiscalKey, FiscalPublicKey, GENESIS_PREVIOUS, KeyRing,
};

/// Meta key: the kasse version of the last start (a different one journals 13007).
const LAST_VERSION_KEY: &str = "last_started_version";
/// Meta key: the last sale id journaled before the first key (those were never signed).
const SIGNING_AFTER_SALE_KEY: &str = "fiscal_signing_after_sale";

/// File name of the private key of `version`, inside the data directory.
pub fn key_file_name(version: i64) -> String {
    format!("fiscal-key-{version}.pem")
}

/// The loaded private key with its `keyVersion` and the till's UTC offset (transDate /
/// transTime are local). `Debug` never shows key material.
pub struct TillSigner {
    key: FiscalKey,
    version: i64,
    offset: UtcOffset,
}

impl fmt::Debug for TillSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TillSigner")
            .field("version", &self.version)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl TillSigner {
    /// A signer from a key already loaded (tests, benches); `version` must be recorded in
    /// `fiscal_keys` (see [`Store::record_fiscal_key`]).
    pub fn new(key: FiscalKey, version: i64, offset: UtcOffset) -> TillSigner {
        TillSigner {
            key,
            version,
            offset,
        }
    }

    pub fn version(&self) -> i64 {
        self.version
    }
}

/// What a signed transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedKind {
    /// A completed sale (cash, Vipps or split).
    Sale,
    /// A return / refund: amounts negative.
    Return,
    /// A voided sale.
    Void,
    /// The opening float of a period (11007): amount in > 0.
    Float,
    /// Cash taken out of the drawer (11010): amounts < 0.
    Withdrawal,
    /// Cash put into the drawer (11011): amounts > 0.
    Deposit,
    /// Counted − expected at Z (11008), never 0.
    CashDifference,
}

impl SignedKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            SignedKind::Sale => "sale",
            SignedKind::Return => "return",
            SignedKind::Void => "void",
            SignedKind::Float => "float",
            SignedKind::Withdrawal => "withdrawal",
            SignedKind::Deposit => "deposit",
            SignedKind::CashDifference => "cash_difference",
        }
    }

    pub fn parse(s: &str) -> Option<SignedKind> {
        match s {
            "sale" => Some(SignedKind::Sale),
            "return" => Some(SignedKind::Return),
            "void" => Some(SignedKind::Void),
            "float" => Some(SignedKind::Float),
            "withdrawal" => Some(SignedKind::Withdrawal),
            "deposit" => Some(SignedKind::Deposit),
            "cash_difference" => Some(SignedKind::CashDifference),
            _ => None,
        }
    }
}

/// Input of [`append_signed`].
#[derive(Debug, Clone)]
pub struct NewSigned<'a> {
    pub shop_id: &'a str,
    pub till_id: &'a str,
    pub kind: SignedKind,
    /// When the transaction completed (signed as the till's local date and time).
    pub at: OffsetDateTime,
    /// Amount including VAT, minor units (negative for a return).
    pub amount_in: i64,
    /// Amount excluding VAT, minor units (negative for a return).
    pub amount_ex: i64,
    pub sale_id: Option<i64>,
    /// The refund's own id (returns), so one refund is never signed twice.
    pub refund_id: Option<i64>,
    pub receipt_number: Option<&'a str>,
    pub staff_id: Option<&'a str>,
    pub training: bool,
}

/// One row of `fiscal_transactions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    pub id: i64,
    pub shop_id: String,
    pub till_id: String,
    pub nr: i64,
    pub kind: SignedKind,
    pub trans_date: String,
    pub trans_time: String,
    pub amount_in: i64,
    pub amount_ex: i64,
    pub signature: String,
    pub key_version: i64,
    pub sale_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub receipt_number: Option<String>,
    pub staff_id: Option<String>,
    pub training: bool,
}

const SIGNED_COLS: &str = "id, shop_id, till_id, nr, kind, trans_date, trans_time, amount_in, \
    amount_ex, signature, key_version, sale_id, refund_id, receipt_number, staff_id, training";

fn signed_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SignedTransaction> {
    let kind: String = r.get(4)?;
    Ok(SignedTransaction {
        id: r.get(0)?,
        shop_id: r.get(1)?,
        till_id: r.get(2)?,
        nr: r.get(3)?,
        kind: SignedKind::parse(&kind).unwrap_or(SignedKind::Sale),
        trans_date: r.get(5)?,
        trans_time: r.get(6)?,
        amount_in: r.get(7)?,
        amount_ex: r.get(8)?,
        signature: r.get(9)?,
        key_version: r.get(10)?,
        sale_id: r.get(11)?,
        refund_id: r.get(12)?,
        receipt_number: r.get(13)?,
        staff_id: r.get(14)?,
        training: r.get(15)?,
    })
}

fn fiscal_err(e: signature::SignatureError) -> StoreError {
    StoreError::Fiscal(e)
}

/// Sign one cash transaction and append it to its till's chain, on `conn` — the connection of
/// the caller's open transaction, so the signed row commits or rolls back with the sale,
/// refund or void it signs. The till's next `nr` (1, 2, … without gaps) and previous signature
/// (`0` for the first) are read inside that transaction.
pub fn append_signed(
    conn: &Connection,
    signer: &TillSigner,
    t: &NewSigned<'_>,
) -> Result<SignedTransaction, StoreError> {
    let last: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT nr, signature FROM fiscal_transactions
             WHERE shop_id = ?1 AND till_id = ?2 ORDER BY nr DESC LIMIT 1",
        )?
        .query_row(params![t.shop_id, t.till_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (prev_nr, prev_sig) = last.unwrap_or((0, GENESIS_PREVIOUS.to_owned()));
    let nr = prev_nr + 1;
    let local = t.at.to_offset(signer.offset);
    let (date, time) = (local.date(), trunc_seconds(local.time()));
    let nr_text = nr.to_string();
    let text = signature::signed_text(&prev_sig, date, time, &nr_text, t.amount_in, t.amount_ex)
        .map_err(fiscal_err)?;
    let sig = signer.key.sign(&text).map_err(fiscal_err)?;
    let mut trans_date = String::with_capacity(10);
    crate::fiscal::push_date(&mut trans_date, date);
    let mut trans_time = String::with_capacity(8);
    crate::fiscal::push_time(&mut trans_time, time);
    conn.prepare_cached(
        "INSERT INTO fiscal_transactions (shop_id, till_id, nr, kind, trans_date, trans_time,
             amount_in, amount_ex, signature, key_version, sale_id, refund_id, receipt_number,
             staff_id, training, signed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        t.shop_id,
        t.till_id,
        nr,
        t.kind.as_str(),
        trans_date,
        trans_time,
        t.amount_in,
        t.amount_ex,
        sig,
        signer.version,
        t.sale_id,
        t.refund_id,
        t.receipt_number,
        t.staff_id,
        t.training,
        Ts(t.at),
    ])?;
    Ok(SignedTransaction {
        id: conn.last_insert_rowid(),
        shop_id: t.shop_id.to_owned(),
        till_id: t.till_id.to_owned(),
        nr,
        kind: t.kind,
        trans_date,
        trans_time,
        amount_in: t.amount_in,
        amount_ex: t.amount_ex,
        signature: sig,
        key_version: signer.version,
        sale_id: t.sale_id,
        refund_id: t.refund_id,
        receipt_number: t.receipt_number.map(str::to_owned),
        staff_id: t.staff_id.map(str::to_owned),
        training: t.training,
    })
}

fn trunc_seconds(t: Time) -> Time {
    Time::from_hms(t.hour(), t.minute(), t.second()).unwrap_or(t)
}

/// Sign a sale that just reached `kind`'s final state (paid → [`SignedKind::Sale`], voided →
/// [`SignedKind::Void`]), once. Without a signer (an in-memory store in tests) nothing is
/// signed.
pub(crate) fn sign_sale(
    conn: &Connection,
    signer: Option<&TillSigner>,
    sale_id: i64,
    kind: SignedKind,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let Some(signer) = signer else {
        return Ok(());
    };
    let done: Option<i64> = conn
        .prepare_cached("SELECT id FROM fiscal_transactions WHERE sale_id = ?1 AND kind = ?2")?
        .query_row(params![sale_id, kind.as_str()], |r| r.get(0))
        .optional()?;
    if done.is_some() {
        return Ok(());
    }
    let row = conn
        .prepare_cached(
            "SELECT shop_id, till_id, gross_total, net_total, receipt_number, staff_id, training
             FROM sales WHERE id = ?1",
        )?
        .query_row([sale_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })
        .optional()?;
    let Some((shop, till, gross, net, receipt, staff, training)) = row else {
        return Err(StoreError::NotFound {
            what: "sale",
            id: sale_id.to_string(),
        });
    };
    append_signed(
        conn,
        signer,
        &NewSigned {
            shop_id: &shop,
            till_id: &till,
            kind,
            at,
            amount_in: gross,
            amount_ex: net,
            sale_id: Some(sale_id),
            refund_id: None,
            receipt_number: Some(&receipt),
            staff_id: staff.as_deref(),
            training,
        },
    )?;
    Ok(())
}

/// Input of [`append_event`].
#[derive(Debug, Clone)]
pub struct NewFiscalEvent<'a> {
    pub shop_id: &'a str,
    pub till_id: &'a str,
    pub kind: EventKind,
    pub at: OffsetDateTime,
    pub staff_id: Option<&'a str>,
    pub sale_id: Option<i64>,
    pub detail: String,
}

/// One row of `fiscal_events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiscalEventRow {
    pub id: i64,
    pub shop_id: String,
    pub till_id: String,
    /// Skatteetaten's PredefinedBasicID-13 code (`13001` …).
    pub code: String,
    pub at: OffsetDateTime,
    pub staff_id: Option<String>,
    pub sale_id: Option<i64>,
    pub detail: String,
}

/// Append one 13xxx event (on the caller's transaction). Returns its id.
pub fn append_event(conn: &Connection, ev: &NewFiscalEvent<'_>) -> Result<i64, StoreError> {
    let code = ev.kind.code().predefined.unwrap_or("13999");
    conn.prepare_cached(
        "INSERT INTO fiscal_events (shop_id, till_id, code, at, staff_id, sale_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        ev.shop_id,
        ev.till_id,
        code,
        Ts(ev.at),
        ev.staff_id,
        ev.sale_id,
        ev.detail
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Append one event to the journal in `dir` through its own short connection, beside a running
/// till (no migrations, no outbox reset): for commands that otherwise only read, such as the
/// SAF-T export (13020). The schema must be exactly this binary's.
pub fn append_event_in_dir(dir: &Path, ev: &NewFiscalEvent<'_>) -> Result<i64, StoreError> {
    // Refuses a missing journal or another schema version with its usual message.
    drop(Store::open_read_only(dir)?);
    let path = dir.join(DB_FILE_NAME);
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(std::time::Duration::from_millis(
        super::BUSY_TIMEOUT_MS.unsigned_abs(),
    ))?;
    append_event(&conn, ev)
}

/// One `fiscal_keys` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiscalKeyRow {
    pub version: i64,
    pub public_key_pem: String,
    pub created_at: OffsetDateTime,
    pub reason: String,
    pub key_file: String,
}

/// The outcome of [`Store::verify_fiscal_chain`] for one till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TillChain {
    pub shop_id: String,
    pub till_id: String,
    pub report: ChainReport,
}

/// The outcome of [`Store::verify_fiscal_chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalCheck {
    pub tills: Vec<TillChain>,
    /// Completed sales (paid or later, or voided) since the first key that have no signed row:
    /// `(sale id, receipt number)`, oldest first.
    pub unsigned_sales: Vec<(i64, String)>,
}

impl JournalCheck {
    pub fn is_ok(&self) -> bool {
        self.unsigned_sales.is_empty() && self.tills.iter().all(|t| t.report.is_ok())
    }

    /// Transactions that verified, over all tills.
    pub fn verified(&self) -> u64 {
        self.tills.iter().map(|t| t.report.verified).sum()
    }
}

fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

fn parse_time(s: &str) -> Option<Time> {
    let mut it = s.splitn(3, ':');
    let h: u8 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let sec: u8 = it.next()?.parse().ok()?;
    Time::from_hms(h, m, sec).ok()
}

/// The signed date (`YYYY-MM-DD`) of a stored row, for selections.
pub fn date_text(d: Date) -> String {
    let mut s = String::with_capacity(10);
    crate::fiscal::push_date(&mut s, d);
    s
}

fn chain_record(
    nr: i64,
    date: &str,
    time: &str,
    amount_in: i64,
    amount_ex: i64,
    signature: String,
    key_version: i64,
) -> Result<ChainRecord, StoreError> {
    let bad = |column: &'static str, v: &str| StoreError::BadValue {
        column,
        value: format!("nr {nr}: {v}"),
    };
    Ok(ChainRecord {
        nr: nr.to_string(),
        date: parse_date(date).ok_or_else(|| bad("fiscal_transactions.trans_date", date))?,
        time: parse_time(time).ok_or_else(|| bad("fiscal_transactions.trans_time", time))?,
        amount_in,
        amount_ex,
        signature,
        key_version: key_version.to_string(),
    })
}

impl Store {
    /// Load this data directory's signing key, or make one: see the module docs. Returns the
    /// key version now signing. Called by [`Store::open_in_dir`].
    pub fn ensure_fiscal_key(&mut self, dir: &Path, at: OffsetDateTime) -> Result<i64, StoreError> {
        let latest = self.fiscal_keys()?.pop();
        let Some(row) = latest else {
            return self.rotate_fiscal_key(dir, at, "install");
        };
        let path = dir.join(&row.key_file);
        if !path.exists() {
            tracing::warn!(
                version = row.version,
                file = %row.key_file,
                "the fiscal key file is missing (restored or moved journal): a new key version is made"
            );
            return self.rotate_fiscal_key(
                dir,
                at,
                &format!("key file of version {} missing", row.version),
            );
        }
        let key = signature::read_private_key(&path).map_err(fiscal_err)?;
        if key.public_key().to_pem() != row.public_key_pem {
            return Err(StoreError::Fiscal(signature::SignatureError::KeyFormat(
                format!(
                    "{} does not belong to key version {} recorded in the journal",
                    path.display(),
                    row.version
                ),
            )));
        }
        let offset = self.signer.as_ref().map_or(UtcOffset::UTC, |s| s.offset);
        self.signer = Some(TillSigner::new(key, row.version, offset));
        Ok(row.version)
    }

    /// Make the next key version: generate a key, write its private half 0600 to
    /// `<dir>/fiscal-key-<version>.pem`, record the public key, and sign with it from now on.
    /// Earlier versions stay in `fiscal_keys` so their signatures still verify.
    pub fn rotate_fiscal_key(
        &mut self,
        dir: &Path,
        at: OffsetDateTime,
        reason: &str,
    ) -> Result<i64, StoreError> {
        let key = FiscalKey::generate_with_os_rng().map_err(fiscal_err)?;
        let version = self.fiscal_keys()?.last().map_or(1, |k| k.version + 1);
        if version == 1 {
            // Sales journaled before the till had a key (an upgraded journal) were never
            // signed; every later completed sale must be.
            let last_sale: i64 =
                self.conn
                    .query_row("SELECT coalesce(max(id), 0) FROM sales", [], |r| r.get(0))?;
            meta_set(&self.conn, SIGNING_AFTER_SALE_KEY, &last_sale.to_string())?;
        }
        let file = key_file_name(version);
        let path = dir.join(&file);
        // A file of a version that is not recorded never signed anything (its row would be
        // there): a crash between writing it and committing the row left it. Replace it.
        if path.exists() {
            std::fs::remove_file(&path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        }
        signature::write_private_key(&path, &key).map_err(fiscal_err)?;
        self.record_fiscal_key(version, key.public_key(), at, reason, &file)?;
        tracing::info!(version, reason, "fiscal signing key version recorded");
        let offset = self.signer.as_ref().map_or(UtcOffset::UTC, |s| s.offset);
        self.signer = Some(TillSigner::new(key, version, offset));
        Ok(version)
    }

    /// Record a public key as `version` (append-only).
    pub fn record_fiscal_key(
        &mut self,
        version: i64,
        public: &FiscalPublicKey,
        at: OffsetDateTime,
        reason: &str,
        key_file: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO fiscal_keys (version, public_key_pem, created_at, reason, key_file)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![version, public.to_pem(), Ts(at), reason, key_file],
        )?;
        Ok(())
    }

    /// Sign with this key from now on (tests and benches inject a known key; the version must
    /// be recorded with [`Store::record_fiscal_key`]).
    pub fn set_fiscal_signer(&mut self, signer: TillSigner) {
        self.signer = Some(signer);
    }

    /// The till's UTC offset: transDate / transTime are signed in local time.
    pub fn set_fiscal_offset(&mut self, offset: UtcOffset) {
        if let Some(s) = self.signer.as_mut() {
            s.offset = offset;
        }
    }

    /// The key version signing now (None: this store signs nothing, e.g. in memory).
    pub fn fiscal_key_version(&self) -> Option<i64> {
        self.signer.as_ref().map(|s| s.version)
    }

    /// Every recorded key version, oldest first (`kasse journal public-key`).
    pub fn fiscal_keys(&self) -> Result<Vec<FiscalKeyRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT version, public_key_pem, created_at, reason, key_file FROM fiscal_keys
             ORDER BY version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FiscalKeyRow {
                version: r.get(0)?,
                public_key_pem: r.get(1)?,
                created_at: r.get::<_, Ts>(2)?.0,
                reason: r.get(3)?,
                key_file: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The public keys as a [`KeyRing`] by key version.
    pub fn fiscal_key_ring(&self) -> Result<KeyRing, StoreError> {
        let mut ring = KeyRing::new();
        for k in self.fiscal_keys()? {
            let key = FiscalPublicKey::from_pem(&k.public_key_pem).map_err(fiscal_err)?;
            ring.insert(k.version.to_string(), key);
        }
        Ok(ring)
    }

    /// Append one 13xxx event in its own transaction.
    pub fn fiscal_event(&mut self, ev: &NewFiscalEvent<'_>) -> Result<i64, StoreError> {
        self.transaction(|tx| tx.append_event(ev))
    }

    /// Application start (13001), a software update (13007) when the kasse version differs
    /// from the last start's, and training mode on (13023) when the till starts in training, in
    /// one transaction. Returns the previous version when it changed.
    pub fn journal_app_start(
        &mut self,
        shop_id: &str,
        till_id: &str,
        version: &str,
        training: bool,
        at: OffsetDateTime,
    ) -> Result<Option<String>, StoreError> {
        self.transaction(|tx| {
            let ev = |kind, detail: String| NewFiscalEvent {
                shop_id,
                till_id,
                kind,
                at,
                staff_id: None,
                sale_id: None,
                detail,
            };
            append_event(tx.tx, &ev(EventKind::AppStart, format!("kasse {version}")))?;
            let last = meta_get(tx.tx, LAST_VERSION_KEY)?;
            let changed = last.filter(|v| v != version);
            if let Some(old) = &changed {
                append_event(
                    tx.tx,
                    &ev(
                        EventKind::Update,
                        format!("software updated from kasse {old} to kasse {version}"),
                    ),
                )?;
            }
            meta_set(tx.tx, LAST_VERSION_KEY, version)?;
            if training {
                append_event(
                    tx.tx,
                    &ev(EventKind::TrainingOn, "training mode (--demo)".into()),
                )?;
            }
            Ok(changed)
        })
    }

    /// Application stop (13002), after training mode off (13024) when it ran in training; one
    /// transaction.
    pub fn journal_app_stop(
        &mut self,
        shop_id: &str,
        till_id: &str,
        training: bool,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let ev = |kind, detail: &str| NewFiscalEvent {
                shop_id,
                till_id,
                kind,
                at,
                staff_id: None,
                sale_id: None,
                detail: detail.into(),
            };
            if training {
                append_event(tx.tx, &ev(EventKind::TrainingOff, "training mode ends"))?;
            }
            append_event(tx.tx, &ev(EventKind::AppStop, "kasse stopped"))?;
            Ok(())
        })
    }

    /// All events (oldest first).
    pub fn fiscal_events(&self) -> Result<Vec<FiscalEventRow>, StoreError> {
        let mut out = Vec::new();
        self.for_each_fiscal_event(None, None, None, |e| {
            out.push(e);
            Ok(())
        })?;
        Ok(out)
    }

    /// Stream the events of one till (None: all) at `from..to` (None = open end), oldest
    /// first.
    pub fn for_each_fiscal_event(
        &self,
        till: Option<(&str, &str)>,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
        mut f: impl FnMut(FiscalEventRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, shop_id, till_id, code, at, staff_id, sale_id, detail FROM fiscal_events
             WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2)
               AND (?3 IS NULL OR (shop_id = ?3 AND till_id = ?4)) ORDER BY id",
        )?;
        let (shop, till) = (till.map(|t| t.0), till.map(|t| t.1));
        let rows = stmt.query_map(params![from.map(Ts), to.map(Ts), shop, till], |r| {
            Ok(FiscalEventRow {
                id: r.get(0)?,
                shop_id: r.get(1)?,
                till_id: r.get(2)?,
                code: r.get(3)?,
                at: r.get::<_, Ts>(4)?.0,
                staff_id: r.get(5)?,
                sale_id: r.get(6)?,
                detail: r.get(7)?,
            })
        })?;
        for row in rows {
            f(row?)?;
        }
        Ok(())
    }

    /// All signed transactions, in till and `nr` order (tests, small journals).
    pub fn signed_transactions(&self) -> Result<Vec<SignedTransaction>, StoreError> {
        let mut out = Vec::new();
        self.for_each_signed(None, None, |t| {
            out.push(t);
            Ok(())
        })?;
        Ok(out)
    }

    /// Stream signed transactions whose signed date is within `from..=to`, per till in `nr`
    /// order (constant memory).
    pub fn for_each_signed(
        &self,
        from: Option<Date>,
        to: Option<Date>,
        f: impl FnMut(SignedTransaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.for_each_signed_of(None, from, to, f)
    }

    /// [`Store::for_each_signed`] for one till (None: all).
    pub fn for_each_signed_of(
        &self,
        till: Option<(&str, &str)>,
        from: Option<Date>,
        to: Option<Date>,
        mut f: impl FnMut(SignedTransaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SIGNED_COLS} FROM fiscal_transactions
             WHERE (?1 IS NULL OR trans_date >= ?1) AND (?2 IS NULL OR trans_date <= ?2)
               AND (?3 IS NULL OR (shop_id = ?3 AND till_id = ?4))
             ORDER BY shop_id, till_id, nr"
        ))?;
        let (shop, till) = (till.map(|t| t.0), till.map(|t| t.1));
        let rows = stmt.query_map(
            params![from.map(date_text), to.map(date_text), shop, till],
            signed_row,
        )?;
        for row in rows {
            f(row?)?;
        }
        Ok(())
    }

    /// Re-check every till's signature chain (or the part signed `from..=to`, starting from
    /// the stored signature before it), streaming; and list completed sales without a signed
    /// row. See [`JournalCheck`].
    pub fn verify_fiscal_chain(
        &self,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<JournalCheck, StoreError> {
        let keys = self.fiscal_key_ring()?;
        let tills: Vec<(String, String)> = {
            let mut stmt = self.conn.prepare(
                "SELECT DISTINCT shop_id, till_id FROM fiscal_transactions ORDER BY 1, 2",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let (from_s, to_s) = (from.map(date_text), to.map(date_text));
        let mut out = Vec::new();
        for (shop, till) in tills {
            let previous: String = match &from_s {
                None => GENESIS_PREVIOUS.to_owned(),
                Some(f) => self
                    .conn
                    .query_row(
                        "SELECT signature FROM fiscal_transactions
                         WHERE shop_id = ?1 AND till_id = ?2 AND trans_date < ?3
                         ORDER BY nr DESC LIMIT 1",
                        params![shop, till, f],
                        |r| r.get(0),
                    )
                    .optional()?
                    .unwrap_or_else(|| GENESIS_PREVIOUS.to_owned()),
            };
            let mut stmt = self.conn.prepare(
                "SELECT nr, trans_date, trans_time, amount_in, amount_ex, signature, key_version
                 FROM fiscal_transactions
                 WHERE shop_id = ?1 AND till_id = ?2
                   AND (?3 IS NULL OR trans_date >= ?3) AND (?4 IS NULL OR trans_date <= ?4)
                 ORDER BY nr",
            )?;
            let rows = stmt.query_map(params![shop, till, from_s, to_s], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })?;
            let records = rows.map(|row| {
                let (nr, d, t, amount_in, amount_ex, sig, v) = row?;
                chain_record(nr, &d, &t, amount_in, amount_ex, sig, v)
            });
            let report = signature::try_verify_chain(&keys, &previous, records)?;
            out.push(TillChain {
                shop_id: shop,
                till_id: till,
                report,
            });
        }
        let unsigned_sales = {
            let mut stmt = self.conn.prepare(
                "SELECT s.id, s.receipt_number FROM sales s
                 WHERE s.status IN ('paid', 'partially_refunded', 'refunded', 'voided')
                   AND s.id > coalesce((SELECT CAST(value AS INTEGER) FROM meta
                                        WHERE key = 'fiscal_signing_after_sale'), 0)
                   AND EXISTS (SELECT 1 FROM fiscal_keys)
                   AND NOT EXISTS (SELECT 1 FROM fiscal_transactions f
                                   WHERE f.sale_id = s.id AND f.kind IN ('sale', 'void'))
                 ORDER BY s.id LIMIT 100",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        Ok(JournalCheck {
            tills: out,
            unsigned_sales,
        })
    }
}

/// The master data of a SAF-T export (small: bounded by the catalogue and the staff).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaftMasterData {
    /// Distinct VAT rates of all sale lines (hundredths of a percent).
    pub vat_rates: Vec<i64>,
    /// `(product id, name, article group)` of every article ever sold (the latest name and
    /// group; a line sold without a group: the catalogue's group, else 04999).
    pub articles: Vec<(String, String, String)>,
    /// Every article group the export names (lines, articles, and 04999 for reports).
    pub article_groups: Vec<String>,
    /// `(staff id, name, role, created_at)`: the staff table plus any staff id the journal
    /// names that is not in it (name = id, role empty).
    pub employees: Vec<(String, String, String, Option<OffsetDateTime>)>,
    /// `(shop id, till id)` of every till with signed transactions or events.
    pub tills: Vec<(String, String)>,
}

impl Store {
    /// See [`SaftMasterData`].
    pub fn saft_master_data(&self) -> Result<SaftMasterData, StoreError> {
        let col = |sql: &str| -> Result<Vec<i64>, StoreError> {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        };
        let vat_rates = col("SELECT DISTINCT vat_rate FROM sale_lines ORDER BY 1")?;
        let articles = {
            let mut stmt = self.conn.prepare(
                "SELECT l.product_id, l.name, coalesce(l.article_group,
                        (SELECT c.article_group FROM catalog_articles c
                         WHERE c.ean = l.product_id OR c.plu = l.product_id
                         ORDER BY c.ean = l.product_id DESC LIMIT 1), '04999')
                 FROM sale_lines l WHERE l.id IN
                     (SELECT max(id) FROM sale_lines WHERE product_id IS NOT NULL
                      AND product_id <> '' GROUP BY product_id)
                 ORDER BY l.product_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let article_groups = {
            let mut stmt = self.conn.prepare(
                "SELECT '04999' UNION SELECT article_group FROM sale_lines
                 WHERE article_group IS NOT NULL ORDER BY 1",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut groups = rows.collect::<Result<Vec<_>, _>>()?;
            for (_, _, g) in &articles {
                if !groups.contains(g) {
                    groups.push(g.clone());
                }
            }
            groups.sort();
            groups
        };
        let employees = {
            let mut stmt = self.conn.prepare(
                "SELECT id, name, role, created_at FROM staff
                 UNION ALL
                 SELECT DISTINCT x.staff_id, x.staff_id, '', NULL FROM (
                     SELECT staff_id FROM sales UNION SELECT staff_id FROM fiscal_transactions
                     UNION SELECT staff_id FROM fiscal_events) x
                 WHERE x.staff_id IS NOT NULL AND x.staff_id NOT IN (SELECT id FROM staff)
                 ORDER BY 1",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, Option<Ts>>(3)?.map(|t| t.0),
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let tills = {
            let mut stmt = self.conn.prepare(
                "SELECT shop_id, till_id FROM fiscal_transactions
                 UNION SELECT shop_id, till_id FROM fiscal_events ORDER BY 1, 2",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        Ok(SaftMasterData {
            vat_rates,
            articles,
            article_groups,
            employees,
            tills,
        })
    }
}

impl Store {
    /// How often a receipt went to the printer: `(first prints, copies)` (print jobs of kind
    /// `receipt` and `copy`), capped at the XSD's 999.
    pub fn receipt_print_counts(&self, receipt_number: &str) -> Result<(u16, u16), StoreError> {
        let (receipts, copies): (i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT coalesce(sum(kind = 'receipt'), 0), coalesce(sum(kind = 'copy'), 0)
                 FROM print_jobs WHERE receipt_number = ?1 AND kind IN ('receipt', 'copy')",
            )?
            .query_row([receipt_number], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let cap = |n: i64| u16::try_from(n.clamp(0, 999)).unwrap_or(999);
        Ok((cap(receipts), cap(copies)))
    }
}

impl Tx<'_> {
    /// Sign one cash transaction in this transaction (see [`append_signed`]). The refund /
    /// return path calls this with `kind` [`SignedKind::Return`], negative amounts and its
    /// `refund_id`, in the transaction that records the refund as completed. `Ok(None)` when
    /// the store has no signing key (in-memory tests).
    pub fn append_signed(
        &self,
        t: &NewSigned<'_>,
    ) -> Result<Option<SignedTransaction>, StoreError> {
        match self.signer {
            Some(signer) => append_signed(self.tx, signer, t).map(Some),
            None => Ok(None),
        }
    }

    /// Append one 13xxx event in this transaction.
    pub fn append_event(&self, ev: &NewFiscalEvent<'_>) -> Result<i64, StoreError> {
        append_event(self.tx, ev)
    }
}

/// The private key file of `version` in `dir`.
pub fn key_path(dir: &Path, version: i64) -> PathBuf {
    dir.join(key_file_name(version))
}
