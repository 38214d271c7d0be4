//! Skatteetaten's digital signature of cash transactions, and the chain verifier.
//!
//! # The rule
//!
//! Each cash transaction is signed with SHA-1 with RSA (RSASSA-PKCS1-v1_5), a 1024-bit key with
//! public exponent 65537, the signature written in base64, over the text
//!
//! ```text
//! previousSignature;transDate;transTime;nr;transAmntIn;transAmntEx
//! 0;2014-01-24;23:59:59;123456789;1250.00;1000.00
//! ```
//!
//! `previousSignature` is the base64 signature of the till's previous transaction, `0` for its
//! first; dates `YYYY-MM-DD`, times `HH:MM:SS`, `nr` at most 35 characters, amounts with a dot and
//! two decimals (Skatteetaten's own checker accepts `^-?[0-9]+[.]([0-9]{2})?$`; returns are
//! negative, as `transAmntIn` `-16.40` in Skatteetaten's example export). kasse builds the text
//! with [`signed_text`] from integer minor units, so the same amount is always written the same
//! way.
//!
//! # Key formats
//!
//! - Private key: **PKCS#1** PEM (`-----BEGIN RSA PRIVATE KEY-----`). That is the form
//!   Skatteetaten's *Digital Signature Validator* asks for (it rejects anything else), so a shop
//!   or an auditor can check one transaction by hand with the file kasse keeps; `openssl genrsa
//!   -traditional` writes the same form. PKCS#8 would work for kasse alone but buys nothing.
//!   The file is unencrypted, 0600, in a 0700 folder beside the database (never in it): a till
//!   must sign without a person typing a pass phrase.
//! - Public key: **SubjectPublicKeyInfo** PEM (`-----BEGIN PUBLIC KEY-----`), what
//!   Skatteetaten's validator and `openssl rsa -pubout` use; `kasse journal public-key` prints it.
//!
//! Key material is never `Debug`-printed: [`FiscalKey`]'s `Debug` is redacted, the PEM text is
//! held in `Zeroizing` buffers and wiped after use.
//!
//! # The chain verifier
//!
//! [`verify_chain`] streams [`ChainRecord`]s of one till in order and stops at the first record
//! that does not verify, saying why as well as a signature chain can tell:
//!
//! - **changed content** (amount, date, time or `nr`): the record fails, but the next record
//!   verifies over this record's signature (the signature itself was kept);
//! - **deleted transaction(s)**: a deletion leaves no record to fail, so it shows as a *broken
//!   link at the next one* — that record was signed over a signature that is no longer there.
//!   When `nr`s are numbers and jump (`41` then `43`), the report names the missing range;
//!   without a gap it is reported as a changed record, since the two look alike to a signature;
//! - **inserted transaction**: the inserted record does not verify, and the record after it
//!   verifies over the signature *before* it (the chain links past it);
//! - an unknown `keyVersion`, a signature that is not base64, or a text that cannot be built.
//!
//! Each record is verified once (one look-ahead record is kept to explain a failure), so memory
//! stays constant however long the chain.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use sha1::Sha1;
use time::{Date, Time};

use crate::lang::Text;

/// Key size Skatteetaten requires.
pub const KEY_BITS: usize = 1024;
/// Public exponent Skatteetaten requires.
pub const PUBLIC_EXPONENT: u32 = 65_537;
/// The previous signature of a till's first transaction.
pub const GENESIS_PREVIOUS: &str = "0";
/// Longest `nr` the signed text (and the XSD's IdentificationString35) allows.
pub const MAX_NR_CHARS: usize = 35;

/// What went wrong with keys, signing or a signed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// Key generation failed (RNG or prime search).
    Generate(String),
    /// A PEM or DER key could not be read (never carries key material).
    KeyFormat(String),
    /// The key is not 1024 bits with exponent 65537.
    KeyParameters { bits: usize, exponent_ok: bool },
    /// Signing failed.
    Sign(String),
    /// A field of the text to sign is unusable; names the field.
    Field {
        field: &'static str,
        problem: &'static str,
    },
    /// Reading or writing the key file failed.
    Io { path: PathBuf, error: String },
}

impl SignatureError {
    /// The message for a person, in both languages.
    pub fn text(&self) -> Text {
        match self {
            SignatureError::Generate(e) => Text::new(
                format!("Kunne ikke lage signaturnøkkel: {e}"),
                format!("Could not generate the signing key: {e}"),
            ),
            SignatureError::KeyFormat(e) => Text::new(
                format!(
                    "Signaturnøkkelen kan ikke leses ({e}). Bruk PEM (RSA PRIVATE KEY / PUBLIC KEY)."
                ),
                format!(
                    "The signing key cannot be read ({e}). Use PEM (RSA PRIVATE KEY / PUBLIC KEY)."
                ),
            ),
            SignatureError::KeyParameters { bits, exponent_ok } => Text::new(
                format!(
                    "Signaturnøkkelen må være RSA 1024 bit med eksponent 65537 (er {bits} bit{}).",
                    if *exponent_ok {
                        ""
                    } else {
                        ", annen eksponent"
                    }
                ),
                format!(
                    "The signing key must be RSA 1024-bit with exponent 65537 (it is {bits}-bit{}).",
                    if *exponent_ok {
                        ""
                    } else {
                        ", another exponent"
                    }
                ),
            ),
            SignatureError::Sign(e) => Text::new(
                format!("Signering feilet: {e}"),
                format!("Signing failed: {e}"),
            ),
            SignatureError::Field { field, problem } => Text::new(
                format!("Feltet «{field}» i signaturteksten er ugyldig: {problem}."),
                format!("Field '{field}' of the signed text is invalid: {problem}."),
            ),
            SignatureError::Io { path, error } => Text::new(
                format!("Nøkkelfilen {} : {error}", path.display()),
                format!("Key file {}: {error}", path.display()),
            ),
        }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().en)
    }
}

impl std::error::Error for SignatureError {}

fn check_parameters(key: &PublicKey) -> Result<(), SignatureError> {
    let n = key.n_bytes();
    let bits = match n.first() {
        Some(top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    };
    let exponent_ok = key.e_bytes().as_ref() == [0x01, 0x00, 0x01];
    if bits == KEY_BITS && exponent_ok {
        Ok(())
    } else {
        Err(SignatureError::KeyParameters { bits, exponent_ok })
    }
}

/// A till's private signing key. `Debug` never shows key material.
pub struct FiscalKey {
    signing: SigningKey<Sha1>,
    public: FiscalPublicKey,
}

impl fmt::Debug for FiscalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FiscalKey(RSA-1024, [redacted])")
    }
}

impl FiscalKey {
    /// A new RSA 1024-bit key with exponent 65537 from `rng` (inject a seeded RNG in tests,
    /// [`FiscalKey::generate_with_os_rng`] at install).
    pub fn generate<R: rand_core::TryCryptoRng + ?Sized>(
        rng: &mut R,
    ) -> Result<FiscalKey, SignatureError> {
        let key =
            PrivateKey::new(rng, KEY_BITS).map_err(|e| SignatureError::Generate(e.to_string()))?;
        FiscalKey::from_private(key)
    }

    /// A new key from the operating system's random source.
    pub fn generate_with_os_rng() -> Result<FiscalKey, SignatureError> {
        FiscalKey::generate(&mut getrandom::SysRng)
    }

    fn from_private(key: PrivateKey) -> Result<FiscalKey, SignatureError> {
        check_parameters(key.as_public_key())?;
        let public = FiscalPublicKey::from_public(key.to_public_key())?;
        Ok(FiscalKey {
            signing: SigningKey::<Sha1>::new(key),
            public,
        })
    }

    /// Read a PKCS#1 PEM private key (`-----BEGIN RSA PRIVATE KEY-----`).
    pub fn from_pkcs1_pem(pem: &str) -> Result<FiscalKey, SignatureError> {
        // The decoder's error names the PEM/ASN.1 problem, never the key's content.
        let key = PrivateKey::from_pkcs1_pem(pem)
            .map_err(|e| SignatureError::KeyFormat(e.to_string()))?;
        FiscalKey::from_private(key)
    }

    /// The PKCS#1 PEM text, in a buffer that is wiped when dropped. Only for writing the key
    /// file ([`write_private_key`]); never log or show it.
    pub fn to_pkcs1_pem(&self) -> Result<zeroize::Zeroizing<String>, SignatureError> {
        self.signing
            .as_ref()
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| SignatureError::KeyFormat(e.to_string()))
    }

    /// The public half.
    pub fn public_key(&self) -> &FiscalPublicKey {
        &self.public
    }

    /// Sign `text` (already built with [`signed_text`]); the base64 signature.
    pub fn sign(&self, text: &str) -> Result<String, SignatureError> {
        let sig: Signature = self
            .signing
            .try_sign(text.as_bytes())
            .map_err(|e| SignatureError::Sign(e.to_string()))?;
        Ok(BASE64.encode(sig.to_bytes()))
    }
}

/// A public verification key (not secret; printed by `kasse journal public-key`).
#[derive(Clone)]
pub struct FiscalPublicKey {
    verifying: VerifyingKey<Sha1>,
    pem: String,
}

impl fmt::Debug for FiscalPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FiscalPublicKey(RSA-1024)")
    }
}

impl PartialEq for FiscalPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.pem == other.pem
    }
}

impl FiscalPublicKey {
    fn from_public(key: PublicKey) -> Result<FiscalPublicKey, SignatureError> {
        check_parameters(&key)?;
        let pem = key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| SignatureError::KeyFormat(e.to_string()))?;
        Ok(FiscalPublicKey {
            verifying: VerifyingKey::<Sha1>::new(key),
            pem,
        })
    }

    /// Read a public key: SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`) or PKCS#1 PEM
    /// (`BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<FiscalPublicKey, SignatureError> {
        let key = if pem.contains("BEGIN RSA PUBLIC KEY") {
            PublicKey::from_pkcs1_pem(pem).map_err(|e| SignatureError::KeyFormat(e.to_string()))?
        } else {
            PublicKey::from_public_key_pem(pem)
                .map_err(|e| SignatureError::KeyFormat(e.to_string()))?
        };
        FiscalPublicKey::from_public(key)
    }

    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`, LF line ends).
    pub fn to_pem(&self) -> &str {
        &self.pem
    }

    /// Does `signature_b64` sign `text` with this key?
    pub fn verify(&self, text: &str, signature_b64: &str) -> Result<(), VerifyError> {
        let bytes = BASE64
            .decode(signature_b64.trim())
            .map_err(|_| VerifyError::NotBase64)?;
        if bytes.len() != KEY_BITS / 8 {
            return Err(VerifyError::Malformed);
        }
        let sig = Signature::try_from(bytes.as_slice()).map_err(|_| VerifyError::Malformed)?;
        self.verifying
            .verify(text.as_bytes(), &sig)
            .map_err(|_| VerifyError::Mismatch)
    }
}

/// Why one signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// The signature is not base64.
    NotBase64,
    /// The signature has the wrong length or form for this key.
    Malformed,
    /// The signature does not sign this text with this key.
    Mismatch,
}

fn field_ok(value: &str, field: &'static str) -> Result<(), SignatureError> {
    if value.is_empty() {
        return Err(SignatureError::Field {
            field,
            problem: "empty / tom",
        });
    }
    if value.contains(';') || value.contains(['\r', '\n']) {
        return Err(SignatureError::Field {
            field,
            problem: "contains ';' or a line break / inneholder ';' eller linjeskift",
        });
    }
    Ok(())
}

/// The text Skatteetaten signs:
/// `previousSignature;transDate;transTime;nr;transAmntIn;transAmntEx`.
///
/// `previous` is the previous transaction's base64 signature, or [`GENESIS_PREVIOUS`] (`0`) for
/// the till's first. Amounts are integer minor units (øre) and are written with a dot and two
/// decimals; returns are negative (`-16.40`).
pub fn signed_text(
    previous: &str,
    date: Date,
    time: Time,
    nr: &str,
    amount_in_minor: i64,
    amount_ex_minor: i64,
) -> Result<String, SignatureError> {
    field_ok(previous, "previousSignature")?;
    field_ok(nr, "nr")?;
    if nr.chars().count() > MAX_NR_CHARS {
        return Err(SignatureError::Field {
            field: "nr",
            problem: "longer than 35 characters / lengre enn 35 tegn",
        });
    }
    let mut s = String::with_capacity(previous.len() + nr.len() + 64);
    s.push_str(previous);
    s.push(';');
    super::push_date(&mut s, date);
    s.push(';');
    super::push_time(&mut s, time);
    s.push(';');
    s.push_str(nr);
    s.push(';');
    super::push_decimal2(&mut s, amount_in_minor);
    s.push(';');
    super::push_decimal2(&mut s, amount_ex_minor);
    Ok(s)
}

/// Write the private key file: PKCS#1 PEM, created with mode 0600 (never wider, even for a
/// moment), its folder created 0700 when missing and tightened to 0700 when it exists. Refuses
/// to overwrite an existing key file (a till's key is replaced only by rotation, to a new path
/// or version).
pub fn write_private_key(path: &Path, key: &FiscalKey) -> Result<(), SignatureError> {
    let io = |e: std::io::Error| SignatureError::Io {
        path: path.to_path_buf(),
        error: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(io)?;
    }
    let pem = key.to_pkcs1_pem()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(pem.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Read the private key file written by [`write_private_key`].
pub fn read_private_key(path: &Path) -> Result<FiscalKey, SignatureError> {
    let pem =
        zeroize::Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| SignatureError::Io {
                path: path.to_path_buf(),
                error: e.to_string(),
            })?,
        );
    FiscalKey::from_pkcs1_pem(&pem)
}

/// Sign `text` with `key`: the base64 signature (same as [`FiscalKey::sign`]).
pub fn sign(key: &FiscalKey, text: &str) -> Result<String, SignatureError> {
    key.sign(text)
}

/// Does `signature_b64` sign `text` with `key`? (Same as [`FiscalPublicKey::verify`].)
pub fn verify(key: &FiscalPublicKey, text: &str, signature_b64: &str) -> Result<(), VerifyError> {
    key.verify(text, signature_b64)
}

/// One signed transaction as the journal holds it (plain data, for [`verify_chain`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRecord {
    pub nr: String,
    pub date: Date,
    pub time: Time,
    /// Amount including VAT, minor units (negative for returns).
    pub amount_in: i64,
    /// Amount excluding VAT, minor units.
    pub amount_ex: i64,
    /// Base64 signature.
    pub signature: String,
    pub key_version: String,
}

impl ChainRecord {
    fn text_over(&self, previous: &str) -> Result<String, SignatureError> {
        signed_text(
            previous,
            self.date,
            self.time,
            &self.nr,
            self.amount_in,
            self.amount_ex,
        )
    }
}

/// The public keys of a till by `keyVersion`.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: BTreeMap<String, FiscalPublicKey>,
}

impl KeyRing {
    pub fn new() -> KeyRing {
        KeyRing::default()
    }
    pub fn insert(&mut self, key_version: impl Into<String>, key: FiscalPublicKey) {
        self.keys.insert(key_version.into(), key);
    }
    pub fn get(&self, key_version: &str) -> Option<&FiscalPublicKey> {
        self.keys.get(key_version)
    }
    /// Key versions and keys, in version order (for `kasse journal public-key`).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FiscalPublicKey)> {
        self.keys.iter().map(|(v, k)| (v.as_str(), k))
    }
}

/// Why a record broke the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The record's content (amount, date, time or nr) was changed after signing: its signature
    /// does not sign it, but the next record still links to its signature.
    ContentChanged,
    /// Transactions before this record are missing: its signature was made over a previous
    /// signature that is no longer in the chain, and the `nr`s jump from `after` to this one.
    Deleted { after_nr: String },
    /// This record was inserted: it does not verify, and the next record links to the
    /// signature before it.
    Inserted,
    /// The signature does not verify and the neighbours do not tell why (for example the last
    /// record changed, or several records were altered).
    DoesNotVerify,
    /// No public key with this `keyVersion`.
    UnknownKeyVersion(String),
    /// The signature is not base64 or not a signature of this key's size.
    MalformedSignature,
    /// The signed text cannot be built from the record (bad `nr`, empty signature …).
    BadRecord(SignatureError),
}

/// The first record that does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFailure {
    /// Position in the stream, 0 for the first record checked.
    pub index: u64,
    pub nr: String,
    pub date: Date,
    pub time: Time,
    pub reason: ChainBreak,
}

impl ChainFailure {
    /// The message `kasse journal verify` prints, in both languages.
    pub fn text(&self) -> Text {
        let mut when = String::new();
        super::push_date(&mut when, self.date);
        when.push(' ');
        super::push_time(&mut when, self.time);
        let (nb, en) = match &self.reason {
            ChainBreak::ContentChanged => (
                "innholdet (beløp, dato, tid eller nr) er endret etter signering".to_string(),
                "its content (amount, date, time or nr) was changed after signing".to_string(),
            ),
            ChainBreak::Deleted { after_nr } => (
                format!("transaksjon(er) mellom nr {after_nr} og denne er slettet"),
                format!("transaction(s) between nr {after_nr} and this one were deleted"),
            ),
            ChainBreak::Inserted => (
                "transaksjonen er satt inn i kjeden i ettertid".to_string(),
                "the transaction was inserted into the chain afterwards".to_string(),
            ),
            ChainBreak::DoesNotVerify => (
                "signaturen stemmer ikke".to_string(),
                "the signature does not verify".to_string(),
            ),
            ChainBreak::UnknownKeyVersion(v) => (
                format!("ukjent nøkkelversjon «{v}»"),
                format!("unknown key version '{v}'"),
            ),
            ChainBreak::MalformedSignature => (
                "signaturen er ikke gyldig base64 / feil lengde".to_string(),
                "the signature is not valid base64 / has the wrong length".to_string(),
            ),
            ChainBreak::BadRecord(e) => (e.text().nb, e.text().en),
        };
        Text::new(
            format!("Transaksjon nr {} ({when}) stemmer ikke: {nb}.", self.nr),
            format!("Transaction nr {} ({when}) does not verify: {en}.", self.nr),
        )
    }
}

/// The outcome of [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Records that verified before the first failure (all of them when `first_failure` is
    /// `None`).
    pub verified: u64,
    pub first_failure: Option<ChainFailure>,
}

impl ChainReport {
    pub fn is_ok(&self) -> bool {
        self.first_failure.is_none()
    }
}

enum Check {
    Ok,
    Fail(ChainBreak),
}

fn check(keys: &KeyRing, previous: &str, rec: &ChainRecord) -> Check {
    let Some(key) = keys.get(&rec.key_version) else {
        return Check::Fail(ChainBreak::UnknownKeyVersion(rec.key_version.clone()));
    };
    let text = match rec.text_over(previous) {
        Ok(t) => t,
        Err(e) => return Check::Fail(ChainBreak::BadRecord(e)),
    };
    match key.verify(&text, &rec.signature) {
        Ok(()) => Check::Ok,
        Err(VerifyError::NotBase64 | VerifyError::Malformed) => {
            Check::Fail(ChainBreak::MalformedSignature)
        }
        Err(VerifyError::Mismatch) => Check::Fail(ChainBreak::DoesNotVerify),
    }
}

/// `nr`s are numbers and `next` is more than one after `prev`.
fn nr_gap(prev: &str, next: &str) -> bool {
    match (prev.parse::<u64>(), next.parse::<u64>()) {
        (Ok(p), Ok(n)) => n > p.saturating_add(1),
        _ => false,
    }
}

/// Verify one till's chain, streaming, in journal order.
///
/// `previous` is the signature before the first record: [`GENESIS_PREVIOUS`] when the stream
/// starts at the till's first transaction, otherwise the stored signature of the transaction
/// just before the range (`kasse journal verify --from D`). Stops at the first record that does
/// not verify and explains it (see the module docs: a deletion shows as a broken link at the
/// record after the gap).
pub fn verify_chain<I>(keys: &KeyRing, previous: &str, records: I) -> ChainReport
where
    I: IntoIterator<Item = ChainRecord>,
{
    match try_verify_chain(
        keys,
        previous,
        records.into_iter().map(Ok::<_, std::convert::Infallible>),
    ) {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// [`verify_chain`] over fallible records (rows read from the database): the first read error
/// stops the check and is returned as is.
pub fn try_verify_chain<I, E>(keys: &KeyRing, previous: &str, records: I) -> Result<ChainReport, E>
where
    I: IntoIterator<Item = Result<ChainRecord, E>>,
{
    let mut records = records.into_iter();
    let mut prev_sig = previous.to_string();
    let mut prev_nr: Option<String> = None;
    let mut verified = 0u64;
    while let Some(rec) = records.next() {
        let rec = rec?;
        let reason = match check(keys, &prev_sig, &rec) {
            Check::Ok => {
                verified += 1;
                prev_nr = Some(rec.nr);
                prev_sig = rec.signature;
                continue;
            }
            Check::Fail(ChainBreak::DoesNotVerify) => {
                let next = records.next().transpose()?;
                diagnose(keys, &prev_sig, prev_nr.as_deref(), &rec, next)
            }
            Check::Fail(other) => other,
        };
        return Ok(ChainReport {
            verified,
            first_failure: Some(ChainFailure {
                index: verified,
                nr: rec.nr,
                date: rec.date,
                time: rec.time,
                reason,
            }),
        });
    }
    Ok(ChainReport {
        verified,
        first_failure: None,
    })
}

/// `rec` does not verify over `prev_sig`; look at the record after it to say why.
fn diagnose(
    keys: &KeyRing,
    prev_sig: &str,
    prev_nr: Option<&str>,
    rec: &ChainRecord,
    next: Option<ChainRecord>,
) -> ChainBreak {
    if let Some(after) = prev_nr.filter(|p| nr_gap(p, &rec.nr)) {
        return ChainBreak::Deleted {
            after_nr: after.to_string(),
        };
    }
    let Some(next) = next else {
        return ChainBreak::DoesNotVerify;
    };
    if matches!(check(keys, prev_sig, &next), Check::Ok) {
        return ChainBreak::Inserted;
    }
    if matches!(check(keys, &rec.signature, &next), Check::Ok) {
        return ChainBreak::ContentChanged;
    }
    ChainBreak::DoesNotVerify
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    fn fixture(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fiscal")
            .join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
            .trim_end()
            .to_string()
    }

    fn fixture_key() -> FiscalKey {
        FiscalKey::from_pkcs1_pem(&fixture("test-key-1024.pem")).unwrap()
    }

    const EXAMPLE: &str = "0;2014-01-24;23:59:59;123456789;1250.00;1000.00";

    #[test]
    fn signed_text_matches_skatteetatens_example() {
        let t = signed_text(
            "0",
            date!(2014 - 01 - 24),
            time!(23:59:59),
            "123456789",
            125_000,
            100_000,
        )
        .unwrap();
        assert_eq!(t, EXAMPLE);
    }

    #[test]
    fn signed_text_writes_returns_negative() {
        let t = signed_text(
            "abc=",
            date!(2020 - 01 - 01),
            time!(10:41:30),
            "1003",
            -1640,
            -1426,
        )
        .unwrap();
        assert_eq!(t, "abc=;2020-01-01;10:41:30;1003;-16.40;-14.26");
    }

    #[test]
    fn signed_text_rejects_fields_that_would_break_the_format() {
        let d = date!(2020 - 01 - 01);
        let t = time!(10:00:00);
        let long = "1".repeat(36);
        for (prev, nr, field) in [
            ("", "1", "previousSignature"),
            ("0", "", "nr"),
            ("0", "1;2", "nr"),
            ("a;b", "1", "previousSignature"),
            ("0", long.as_str(), "nr"),
        ] {
            match signed_text(prev, d, t, nr, 1, 1) {
                Err(SignatureError::Field { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{prev:?} {nr:?}: {other:?}"),
            }
        }
        assert!(signed_text("0", d, t, &"9".repeat(35), 1, 1).is_ok());
    }

    #[test]
    fn known_key_signs_the_example_exactly_as_openssl_does() {
        let key = fixture_key();
        assert_eq!(key.sign(EXAMPLE).unwrap(), fixture("example-0.sig"));
        let first = fixture("example-0.sig");
        let chained = format!("{first};2014-01-24;23:59:59;123456789;1250.00;1000.00");
        assert_eq!(key.sign(&chained).unwrap(), fixture("example-chained.sig"));
        let ret = signed_text(
            &first,
            date!(2014 - 01 - 25),
            time!(08:00:00),
            "123456790",
            -1640,
            -1426,
        )
        .unwrap();
        assert_eq!(key.sign(&ret).unwrap(), fixture("example-return.sig"));
    }

    #[test]
    fn openssl_public_key_verifies_and_rejects() {
        let public = FiscalPublicKey::from_pem(&fixture("test-key-1024.pub.pem")).unwrap();
        assert_eq!(public, *fixture_key().public_key());
        let sig = fixture("example-0.sig");
        assert_eq!(verify(&public, EXAMPLE, &sig), Ok(()));
        assert_eq!(sign(&fixture_key(), EXAMPLE).unwrap(), sig);
        assert_eq!(
            public.verify("0;2014-01-24;23:59:59;123456789;1250.01;1000.00", &sig),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(public.verify(EXAMPLE, "***"), Err(VerifyError::NotBase64));
        assert_eq!(public.verify(EXAMPLE, "AAAA"), Err(VerifyError::Malformed));
        // Our PEM is byte-for-byte what `openssl rsa -pubout` writes.
        assert_eq!(public.to_pem().trim_end(), fixture("test-key-1024.pub.pem"));
    }

    #[test]
    fn generated_keys_are_1024_bit_e65537_and_round_trip_through_pem() {
        let key = FiscalKey::generate_with_os_rng().unwrap();
        let pem = key.to_pkcs1_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        let again = FiscalKey::from_pkcs1_pem(&pem).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let public = FiscalPublicKey::from_pem(key.public_key().to_pem()).unwrap();
        assert!(public.to_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        let sig = key.sign(EXAMPLE).unwrap();
        assert_eq!(public.verify(EXAMPLE, &sig), Ok(()));
        // Two keys differ (the RNG is used).
        let other = FiscalKey::generate_with_os_rng().unwrap();
        assert_ne!(other.public_key(), key.public_key());
        assert_eq!(
            other.public_key().verify(EXAMPLE, &sig),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn keys_of_the_wrong_size_are_refused() {
        let small = PrivateKey::new(&mut getrandom::SysRng, 1536).unwrap();
        match FiscalKey::from_private(small) {
            Err(SignatureError::KeyParameters { bits, exponent_ok }) => {
                assert_eq!(bits, 1536);
                assert!(exponent_ok);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            FiscalKey::from_pkcs1_pem(
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
            ),
            Err(SignatureError::KeyFormat(_))
        ));
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = fixture_key();
        let pem = key.to_pkcs1_pem().unwrap();
        let dbg = format!("{key:?} {:?}", key.public_key());
        assert_eq!(
            dbg,
            "FiscalKey(RSA-1024, [redacted]) FiscalPublicKey(RSA-1024)"
        );
        let body_line = pem.lines().nth(1).unwrap();
        assert!(!dbg.contains(body_line));
    }

    #[cfg(unix)]
    #[test]
    fn private_key_file_is_0600_in_a_0700_folder_and_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("keys");
        let path = dir.join("signing-key-1.pem");
        let key = fixture_key();
        write_private_key(&path, &key).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let back = read_private_key(&path).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert_eq!(back.sign(EXAMPLE).unwrap(), fixture("example-0.sig"));
        // Never overwritten.
        match write_private_key(&path, &key) {
            Err(SignatureError::Io { .. }) => {}
            other => panic!("{other:?}"),
        }
        // An existing, too-open folder is tightened.
        let open_dir = tmp.path().join("open");
        std::fs::create_dir(&open_dir).unwrap();
        std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        write_private_key(&open_dir.join("k.pem"), &key).unwrap();
        assert_eq!(mode(&open_dir), 0o700);
    }

    /// A till's chain of `n` transactions signed with `key` (version "1").
    fn chain(key: &FiscalKey, n: u32) -> Vec<ChainRecord> {
        let mut prev = GENESIS_PREVIOUS.to_string();
        (0..n)
            .map(|i| {
                let amount_in = 10_000 + i64::from(i) * 125;
                let amount_ex = amount_in * 4 / 5;
                let mut rec = ChainRecord {
                    nr: (1000 + i).to_string(),
                    date: date!(2026 - 03 - 01),
                    time: Time::from_hms(9, (i % 60) as u8, 0).unwrap(),
                    amount_in,
                    amount_ex,
                    signature: String::new(),
                    key_version: "1".into(),
                };
                rec.signature = key.sign(&rec.text_over(&prev).unwrap()).unwrap();
                prev = rec.signature.clone();
                rec
            })
            .collect()
    }

    fn ring(key: &FiscalKey) -> KeyRing {
        let mut ring = KeyRing::new();
        ring.insert("1", key.public_key().clone());
        ring
    }

    #[test]
    fn an_intact_chain_verifies() {
        let key = fixture_key();
        let recs = chain(&key, 6);
        let report = verify_chain(&ring(&key), "0", recs.clone());
        assert_eq!(
            report,
            ChainReport {
                verified: 6,
                first_failure: None
            }
        );
        // A range starting mid-chain verifies from the signature before it…
        let report = verify_chain(&ring(&key), &recs[2].signature, recs[3..].to_vec());
        assert!(report.is_ok(), "{report:?}");
        // …and not from "0".
        let report = verify_chain(&ring(&key), "0", recs[3..].to_vec());
        assert_eq!(report.first_failure.unwrap().nr, "1003");
    }

    #[test]
    fn a_changed_amount_is_named() {
        let key = fixture_key();
        let mut recs = chain(&key, 6);
        recs[3].amount_in += 100;
        let report = verify_chain(&ring(&key), "0", recs);
        assert_eq!(report.verified, 3);
        let f = report.first_failure.unwrap();
        assert_eq!((f.index, f.nr.as_str()), (3, "1003"));
        assert_eq!(f.reason, ChainBreak::ContentChanged);
        assert!(f.text().en.contains("nr 1003"), "{}", f.text().en);
        assert!(f.text().nb.contains("endret"), "{}", f.text().nb);
    }

    #[test]
    fn a_changed_last_record_still_fails() {
        let key = fixture_key();
        let mut recs = chain(&key, 4);
        recs[3].amount_ex -= 1;
        let f = verify_chain(&ring(&key), "0", recs).first_failure.unwrap();
        assert_eq!(
            (f.nr.as_str(), f.reason),
            ("1003", ChainBreak::DoesNotVerify)
        );
    }

    #[test]
    fn a_deleted_transaction_shows_as_a_broken_link_at_the_next_one() {
        let key = fixture_key();
        let mut recs = chain(&key, 6);
        recs.remove(2);
        let report = verify_chain(&ring(&key), "0", recs);
        assert_eq!(report.verified, 2);
        let f = report.first_failure.unwrap();
        assert_eq!(f.nr, "1003");
        assert_eq!(
            f.reason,
            ChainBreak::Deleted {
                after_nr: "1001".into()
            }
        );
        assert!(f.text().en.contains("between nr 1001"), "{}", f.text().en);
    }

    #[test]
    fn deleting_the_first_transaction_breaks_the_genesis_link() {
        let key = fixture_key();
        let mut recs = chain(&key, 3);
        recs.remove(0);
        let f = verify_chain(&ring(&key), "0", recs).first_failure.unwrap();
        assert_eq!(f.nr, "1001");
        assert_eq!(f.index, 0);
    }

    #[test]
    fn an_inserted_transaction_is_named() {
        let key = fixture_key();
        let mut recs = chain(&key, 6);
        // A forged record: plausible fields, signature copied from elsewhere.
        let mut forged = recs[2].clone();
        forged.nr = "1002".into();
        forged.amount_in = 50_000;
        recs.insert(3, forged);
        let report = verify_chain(&ring(&key), "0", recs);
        let f = report.first_failure.unwrap();
        assert_eq!((f.index, f.reason), (3, ChainBreak::Inserted));
    }

    #[test]
    fn an_insertion_signed_with_the_real_key_breaks_the_next_link() {
        // Even with the key, inserting means re-signing everything after: the old next record
        // no longer links.
        let key = fixture_key();
        let mut recs = chain(&key, 5);
        let mut forged = recs[2].clone();
        forged.nr = "1002b".into();
        forged.signature = key
            .sign(&forged.text_over(&recs[2].signature).unwrap())
            .unwrap();
        recs.insert(3, forged);
        let f = verify_chain(&ring(&key), "0", recs).first_failure.unwrap();
        assert_eq!(f.nr, "1003");
        assert_eq!(f.index, 4);
    }

    #[test]
    fn unknown_key_versions_and_garbage_signatures_are_named() {
        let key = fixture_key();
        let mut recs = chain(&key, 3);
        recs[1].key_version = "7".into();
        let f = verify_chain(&ring(&key), "0", recs.clone())
            .first_failure
            .unwrap();
        assert_eq!(f.reason, ChainBreak::UnknownKeyVersion("7".into()));
        recs[1].key_version = "1".into();
        recs[1].signature = "not base64!".into();
        let f = verify_chain(&ring(&key), "0", recs).first_failure.unwrap();
        assert_eq!(f.reason, ChainBreak::MalformedSignature);
    }

    #[test]
    fn a_read_error_stops_the_check_and_is_returned() {
        let key = fixture_key();
        let recs = chain(&key, 3);
        let rows = vec![
            Ok(recs[0].clone()),
            Err("disk I/O error"),
            Ok(recs[1].clone()),
        ];
        assert_eq!(
            try_verify_chain(&ring(&key), "0", rows),
            Err("disk I/O error")
        );
        let rows: Vec<Result<_, &str>> = recs.into_iter().map(Ok).collect();
        assert_eq!(
            try_verify_chain(&ring(&key), "0", rows).map(|r| r.verified),
            Ok(3)
        );
    }

    #[test]
    fn the_chain_continues_across_a_key_rotation() {
        let old = fixture_key();
        let new = FiscalKey::generate_with_os_rng().unwrap();
        let mut recs = chain(&old, 3);
        let mut next = recs[2].clone();
        next.nr = "1003".into();
        next.key_version = "2".into();
        next.signature = new
            .sign(&next.text_over(&recs[2].signature).unwrap())
            .unwrap();
        recs.push(next);
        let mut keys = ring(&old);
        let report = verify_chain(&keys, "0", recs.clone());
        assert_eq!(
            report.first_failure.unwrap().reason,
            ChainBreak::UnknownKeyVersion("2".into())
        );
        keys.insert("2", new.public_key().clone());
        assert!(verify_chain(&keys, "0", recs).is_ok());
        assert_eq!(keys.iter().map(|(v, _)| v).collect::<Vec<_>>(), ["1", "2"]);
    }
}
