//! `kasse hq verify`: each till's signature chain re-checked from HQ's copy, with the same
//! verifier the till uses (`fiscal::signature`). A changed amount, a deleted or inserted row in
//! HQ's copy breaks the chain there.
//!
//! A chain is one install's signed rows of one shop/till in `nr` order. A restored till (new
//! install id) continues its till's numbering: its first row links to the signature of the
//! row before it, found in the till's earlier install; keys come along the same way.

use std::collections::BTreeMap;

use time::{Date, Time};

use super::{HqError, Pool};
use crate::fiscal::signature::{
    ChainRecord, FiscalPublicKey, GENESIS_PREVIOUS, KeyRing, verify_chain,
};
use crate::lang::Text;

/// The outcome for one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainVerdict {
    pub shop_id: String,
    pub till_id: String,
    pub install_id: String,
    pub verified: u64,
    /// Why the chain does not verify (None: it does).
    pub failure: Option<Text>,
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

struct Row {
    origin: String,
    nr: i64,
    date: String,
    time: String,
    amount_in: i64,
    amount_ex: i64,
    signature: String,
    key_version: i64,
}

/// Verify every chain HQ holds (optionally of one shop).
pub async fn verify(pool: &Pool, shop: Option<&str>) -> Result<Vec<ChainVerdict>, HqError> {
    let client = pool.get().await?;
    let shop = shop.map(str::to_owned);
    // Keys per origin.
    let mut keys: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for r in client
        .query(
            "SELECT origin, version, public_key_pem FROM hq_fiscal_keys ORDER BY origin, version",
            &[],
        )
        .await?
    {
        keys.entry(r.get(0)).or_default().push((r.get(1), r.get(2)));
    }
    let rows = client
        .query(
            "SELECT shop_id, till_id, origin, nr, trans_date, trans_time, amount_in, amount_ex,
                    signature, key_version
             FROM hq_fiscal_transactions WHERE ($1::text IS NULL OR shop_id = $1)
             ORDER BY shop_id, till_id, origin, nr",
            &[&shop],
        )
        .await?;
    // (shop, till) -> origin -> rows in nr order.
    let mut tills: BTreeMap<(String, String), BTreeMap<String, Vec<Row>>> = BTreeMap::new();
    for r in rows {
        let row = Row {
            origin: r.get(2),
            nr: r.get(3),
            date: r.get(4),
            time: r.get(5),
            amount_in: r.get(6),
            amount_ex: r.get(7),
            signature: r.get(8),
            key_version: r.get(9),
        };
        tills
            .entry((r.get(0), r.get(1)))
            .or_default()
            .entry(row.origin.clone())
            .or_default()
            .push(row);
    }
    let mut out = Vec::new();
    for ((shop_id, till_id), chains) in &tills {
        for (origin, rows) in chains {
            out.push(verify_one(shop_id, till_id, origin, rows, chains, &keys));
        }
    }
    Ok(out)
}

fn verify_one(
    shop_id: &str,
    till_id: &str,
    origin: &str,
    rows: &[Row],
    chains: &BTreeMap<String, Vec<Row>>,
    keys: &BTreeMap<String, Vec<(i64, String)>>,
) -> ChainVerdict {
    let mut verdict = ChainVerdict {
        shop_id: shop_id.to_owned(),
        till_id: till_id.to_owned(),
        install_id: origin.to_owned(),
        verified: 0,
        failure: None,
    };
    // This install's keys first, then the till's other installs' for versions it lacks.
    let mut ring = KeyRing::new();
    let mut have = std::collections::BTreeSet::new();
    let own = keys.get(origin).into_iter().flatten();
    let others = chains
        .keys()
        .filter(|o| o.as_str() != origin)
        .flat_map(|o| keys.get(o).into_iter().flatten());
    for (version, pem) in own.chain(others) {
        if !have.insert(*version) {
            continue;
        }
        match FiscalPublicKey::from_pem(pem) {
            Ok(k) => ring.insert(version.to_string(), k),
            Err(e) => {
                verdict.failure = Some(Text::new(
                    format!(
                        "Offentlig nøkkel v{version} kan ikke leses: {}",
                        e.text().nb
                    ),
                    format!("Public key v{version} cannot be read: {}", e.text().en),
                ));
                return verdict;
            }
        }
    }
    let first_nr = rows.first().map_or(1, |r| r.nr);
    let previous = if first_nr <= 1 {
        GENESIS_PREVIOUS.to_owned()
    } else {
        let before = chains
            .iter()
            .filter(|(o, _)| o.as_str() != origin)
            .flat_map(|(_, rs)| rs.iter())
            .find(|r| r.nr == first_nr - 1);
        match before {
            Some(r) => r.signature.clone(),
            None => {
                verdict.failure = Some(Text::new(
                    format!("Kjeden starter på nr {first_nr}: transaksjonene før mangler hos HK."),
                    format!(
                        "The chain starts at nr {first_nr}: the transactions before it are missing at HQ."
                    ),
                ));
                return verdict;
            }
        }
    };
    let mut bad = None;
    let records: Vec<ChainRecord> = rows
        .iter()
        .filter_map(|r| match (parse_date(&r.date), parse_time(&r.time)) {
            (Some(date), Some(time)) => Some(ChainRecord {
                nr: r.nr.to_string(),
                date,
                time,
                amount_in: r.amount_in,
                amount_ex: r.amount_ex,
                signature: r.signature.clone(),
                key_version: r.key_version.to_string(),
            }),
            _ => {
                bad.get_or_insert(r.nr);
                None
            }
        })
        .collect();
    if let Some(nr) = bad {
        verdict.failure = Some(Text::new(
            format!("Transaksjon nr {nr} har ugyldig dato eller tid hos HK."),
            format!("Transaction nr {nr} has an invalid date or time at HQ."),
        ));
        return verdict;
    }
    let report = verify_chain(&ring, &previous, records);
    verdict.verified = report.verified;
    verdict.failure = report.first_failure.map(|f| f.text());
    verdict
}
