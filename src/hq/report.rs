//! HQ's reports: X/Z figures per till for a business day, summed per shop and for the chain,
//! from the pre-aggregated hourly sales (`hq_sales_hourly`, kept by a trigger) plus the
//! refunds; and `hq status`, each till's last seen time and lag.
//!
//! The figures follow the till's own report (`store::staff::reports`): completed sales (paid,
//! partially refunded, refunded), cancellations (cancelled, voided), failed and open sales by
//! the sale's time; refunds by the refund's time, a refund Vipps refused for good counted apart;
//! net turnover = sales − refunds. Training sales are left out. Per article group (§ 2-8-2 f)
//! the completed sales' lines, as in the tills' Z (from the replicated lines).

use serde::Serialize;
use time::{Date, OffsetDateTime, UtcOffset};

use super::{HqError, Pool};
use crate::domain::report::{Amounts, Source, day_bounds, source_for};

/// One till's (or shop's, or the chain's) figures in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// `till`, `shop` or `chain`.
    pub level: String,
    pub shop_id: String,
    pub till_id: String,
    pub currency: String,
    pub sales: Amounts,
    pub cancellations: Amounts,
    pub failed: i64,
    pub open: i64,
    pub refunds: Amounts,
    pub refunds_failed: i64,
    pub net_turnover: i64,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        for (a, b) in [
            (&mut self.sales, &o.sales),
            (&mut self.cancellations, &o.cancellations),
            (&mut self.refunds, &o.refunds),
        ] {
            a.count += b.count;
            a.gross += b.gross;
            a.net += b.net;
            a.vat += b.vat;
        }
        self.failed += o.failed;
        self.open += o.open;
        self.refunds_failed += o.refunds_failed;
        self.net_turnover += o.net_turnover;
    }
}

/// Completed sales of one article group (§ 2-8-2 f, as in the tills' Z) for a till, a shop or
/// the chain, in one currency: lines and their gross amount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupFigures {
    /// `till`, `shop` or `chain`.
    pub level: String,
    pub shop_id: String,
    pub till_id: String,
    pub currency: String,
    /// Skatteetaten's 04 code ([`crate::domain::report::NO_GROUP`] for lines without one).
    pub group: String,
    pub name_nb: String,
    pub name_en: String,
    pub count: i64,
    pub gross: i64,
}

/// The report of one business day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HqReport {
    pub business_date: String,
    pub period_from: String,
    pub period_to: String,
    /// Per till, then per shop, then the chain (per currency).
    pub tills: Vec<Figures>,
    pub shops: Vec<Figures>,
    pub chain: Vec<Figures>,
    /// Per article group: per till, then per shop, then the chain (per currency).
    pub groups: Vec<GroupFigures>,
}

/// Completed non-training sale lines per article group, by the sale's time, per till; the
/// lines the tills' Z counts (not returned, gross ≥ 0), so a till's groups equal its Z's.
async fn group_figures(
    client: &tokio_postgres::Client,
    from: OffsetDateTime,
    to: OffsetDateTime,
    shop: Option<&str>,
) -> Result<Vec<GroupFigures>, HqError> {
    use crate::domain::report::NO_GROUP;
    use crate::fiscal::saft::codes::{ARTICLE_GROUP_CODES, find};
    let rows = client
        .query(
            "SELECT s.shop_id, s.till_id, s.currency,
                    coalesce(l.payload ->> 'article_group', $4), count(*)::bigint,
                    sum((l.payload ->> 'gross')::bigint)::bigint
             FROM hq_sales s
             JOIN hq_feed l ON l.tbl = 'sale_lines' AND l.origin = s.origin
              AND (l.payload ->> 'sale_id')::bigint = s.id
             WHERE s.created_at >= $1 AND s.created_at < $2 AND NOT s.training
               AND s.status IN ('paid', 'partially_refunded', 'refunded')
               AND ($3::text IS NULL OR s.shop_id = $3)
               AND (l.payload ->> 'is_return')::int = 0 AND (l.payload ->> 'gross')::bigint >= 0
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            &[&ts(from), &ts(to), &shop, &NO_GROUP],
        )
        .await?;
    let mut tills: Vec<GroupFigures> = Vec::new();
    for r in rows {
        let group: String = r.get(3);
        let code = find(ARTICLE_GROUP_CODES, &group);
        tills.push(GroupFigures {
            level: "till".into(),
            shop_id: r.get(0),
            till_id: r.get(1),
            currency: r.get(2),
            name_nb: code.map(|c| c.nb.to_owned()).unwrap_or_default(),
            name_en: code.map(|c| c.en.to_owned()).unwrap_or_default(),
            group,
            count: r.get(4),
            gross: r.get(5),
        });
    }
    let mut shops: Vec<GroupFigures> = Vec::new();
    let mut chain: Vec<GroupFigures> = Vec::new();
    for g in &tills {
        for (sums, level, shop_id) in [
            (&mut shops, "shop", g.shop_id.as_str()),
            (&mut chain, "chain", ""),
        ] {
            let at = sums.iter().position(|x| {
                x.shop_id == shop_id && x.currency == g.currency && x.group == g.group
            });
            match at {
                Some(i) => {
                    sums[i].count += g.count;
                    sums[i].gross += g.gross;
                }
                None => sums.push(GroupFigures {
                    level: level.into(),
                    shop_id: shop_id.into(),
                    till_id: String::new(),
                    ..g.clone()
                }),
            }
        }
    }
    let key = |g: &GroupFigures| (g.shop_id.clone(), g.currency.clone(), g.group.clone());
    shops.sort_by_key(key);
    chain.sort_by_key(key);
    tills.extend(shops);
    tills.extend(chain);
    Ok(tills)
}

pub(crate) fn ts(t: OffsetDateTime) -> String {
    crate::clock::rfc3339_millis(t)
}

fn hour(t: OffsetDateTime) -> String {
    let mut s = ts(t);
    s.truncate(13);
    s
}

/// The sales figures per till from the hourly aggregates or a plain scan of the sales (the test
/// checks both agree).
pub async fn sales_figures(
    pool: &Pool,
    from: OffsetDateTime,
    to: OffsetDateTime,
    shop: Option<&str>,
    source: Source,
) -> Result<Vec<Figures>, HqError> {
    let client = pool.get().await?;
    let shop = shop.map(str::to_owned);
    let rows =
        match source {
            Source::Hourly => client
                .query(
                    "SELECT shop_id, till_id, currency, status, sum(n)::bigint, sum(gross)::bigint,
                            sum(net)::bigint, sum(vat)::bigint
                     FROM hq_sales_hourly
                     WHERE hour >= $1 AND hour < $2 AND NOT training
                       AND ($3::text IS NULL OR shop_id = $3)
                     GROUP BY shop_id, till_id, currency, status HAVING sum(n) <> 0
                     ORDER BY shop_id, till_id, currency, status",
                    &[&hour(from), &hour(to), &shop],
                )
                .await?,
            Source::Live => {
                client
                    .query(
                        "SELECT shop_id, till_id, currency, status, count(*)::bigint,
                            sum(gross_total)::bigint, sum(net_total)::bigint, sum(vat_total)::bigint
                     FROM hq_sales
                     WHERE created_at >= $1 AND created_at < $2 AND NOT training
                       AND ($3::text IS NULL OR shop_id = $3)
                     GROUP BY shop_id, till_id, currency, status
                     ORDER BY shop_id, till_id, currency, status",
                        &[&ts(from), &ts(to), &shop],
                    )
                    .await?
            }
        };
    let mut out: Vec<Figures> = Vec::new();
    for r in rows {
        let (shop_id, till_id, currency, status): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let a = Amounts {
            count: r.get(4),
            gross: r.get(5),
            net: r.get(6),
            vat: r.get(7),
        };
        let f = entry(&mut out, "till", &shop_id, &till_id, &currency);
        let target = match status.as_str() {
            "paid" | "partially_refunded" | "refunded" => &mut f.sales,
            "cancelled" | "voided" => &mut f.cancellations,
            "failed" => {
                f.failed += a.count;
                continue;
            }
            _ => {
                f.open += a.count;
                continue;
            }
        };
        target.count += a.count;
        target.gross += a.gross;
        target.net += a.net;
        target.vat += a.vat;
    }
    Ok(out)
}

fn entry<'a>(
    v: &'a mut Vec<Figures>,
    level: &str,
    shop: &str,
    till: &str,
    currency: &str,
) -> &'a mut Figures {
    let pos = v
        .iter()
        .position(|f| f.shop_id == shop && f.till_id == till && f.currency == currency);
    let i = match pos {
        Some(i) => i,
        None => {
            v.push(Figures {
                level: level.to_owned(),
                shop_id: shop.to_owned(),
                till_id: till.to_owned(),
                currency: currency.to_owned(),
                ..Figures::default()
            });
            v.len() - 1
        }
    };
    &mut v[i]
}

/// `kasse hq report --date D [--shop S]`: the business day `date` at `offset`.
pub async fn report(
    pool: &Pool,
    date: Date,
    offset: UtcOffset,
    shop: Option<&str>,
) -> Result<HqReport, HqError> {
    let (from, to) = day_bounds(date, offset);
    let mut tills = sales_figures(pool, from, to, shop, source_for(from, to)).await?;
    let client = pool.get().await?;
    let shop_owned = shop.map(str::to_owned);
    let rows = client
        .query(
            "SELECT shop_id, till_id, currency, status = 'dead', count(*)::bigint,
                    sum(amount)::bigint, sum(net)::bigint, sum(vat)::bigint
             FROM hq_refunds
             WHERE created_at >= $1 AND created_at < $2 AND NOT training
               AND ($3::text IS NULL OR shop_id = $3)
             GROUP BY 1, 2, 3, 4",
            &[&ts(from), &ts(to), &shop_owned],
        )
        .await?;
    for r in rows {
        let (shop_id, till_id, currency, dead): (String, String, String, bool) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let f = entry(&mut tills, "till", &shop_id, &till_id, &currency);
        let count: i64 = r.get(4);
        if dead {
            f.refunds_failed += count;
            continue;
        }
        f.refunds.count += count;
        f.refunds.gross += r.get::<_, i64>(5);
        f.refunds.net += r.get::<_, i64>(6);
        f.refunds.vat += r.get::<_, i64>(7);
    }
    for f in &mut tills {
        f.net_turnover = f.sales.gross - f.refunds.gross;
    }
    tills.sort_by(|a, b| {
        (&a.shop_id, &a.till_id, &a.currency).cmp(&(&b.shop_id, &b.till_id, &b.currency))
    });
    let mut shops: Vec<Figures> = Vec::new();
    let mut chain: Vec<Figures> = Vec::new();
    for f in &tills {
        entry(&mut shops, "shop", &f.shop_id, "", &f.currency).add(f);
        entry(&mut chain, "chain", "", "", &f.currency).add(f);
    }
    let groups = group_figures(&client, from, to, shop).await?;
    Ok(HqReport {
        business_date: format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
        period_from: ts(from),
        period_to: ts(to),
        tills,
        shops,
        chain,
        groups,
    })
}

fn kr(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02}", m / 100, m % 100)
}

impl HqReport {
    /// Every row: tills, shops, chain.
    pub fn rows(&self) -> impl Iterator<Item = &Figures> {
        self.tills.iter().chain(&self.shops).chain(&self.chain)
    }

    /// CSV (one header line, amounts in minor units).
    pub fn to_csv(&self) -> String {
        let mut s = String::from(
            "business_date,level,shop_id,till_id,currency,sales_count,sales_gross,sales_net,sales_vat,refunds_count,refunds_gross,refunds_net,refunds_vat,refunds_failed,cancellations_count,cancellations_gross,failed,open,net_turnover\n",
        );
        for f in self.rows() {
            s.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                self.business_date,
                f.level,
                f.shop_id,
                f.till_id,
                f.currency,
                f.sales.count,
                f.sales.gross,
                f.sales.net,
                f.sales.vat,
                f.refunds.count,
                f.refunds.gross,
                f.refunds.net,
                f.refunds.vat,
                f.refunds_failed,
                f.cancellations.count,
                f.cancellations.gross,
                f.failed,
                f.open,
                f.net_turnover
            ));
        }
        s
    }

    /// A table for people (amounts in kroner).
    pub fn to_text(&self, lang: crate::lang::Lang) -> String {
        let mut s = format!(
            "{} {} ({} – {})\n",
            lang.pick("HK-rapport", "HQ report"),
            self.business_date,
            self.period_from,
            self.period_to
        );
        s.push_str(&format!(
            "{:<6} {:<12} {:<12} {:<4} {:>7} {:>14} {:>7} {:>12} {:>14}\n",
            lang.pick("nivå", "level"),
            lang.pick("butikk", "shop"),
            lang.pick("kasse", "till"),
            lang.pick("val", "cur"),
            lang.pick("salg", "sales"),
            lang.pick("brutto", "gross"),
            lang.pick("retur", "refunds"),
            lang.pick("retur kr", "refunded"),
            lang.pick("netto omsetn.", "net turnover"),
        ));
        for f in self.rows() {
            s.push_str(&format!(
                "{:<6} {:<12} {:<12} {:<4} {:>7} {:>14} {:>7} {:>12} {:>14}\n",
                f.level,
                f.shop_id,
                f.till_id,
                f.currency,
                f.sales.count,
                kr(f.sales.gross),
                f.refunds.count,
                kr(f.refunds.gross),
                kr(f.net_turnover)
            ));
        }
        if self.tills.is_empty() {
            s.push_str(lang.pick(
                "(ingen salg denne dagen hos HK)\n",
                "(no sales at HQ for this day)\n",
            ));
        }
        let groups: Vec<_> = self.groups.iter().filter(|g| g.level != "till").collect();
        if !groups.is_empty() {
            s.push_str(&format!(
                "\n{}\n{:<6} {:<12} {:<4} {:<34} {:>7} {:>14}\n",
                lang.pick("Per varegruppe", "Per article group"),
                lang.pick("nivå", "level"),
                lang.pick("butikk", "shop"),
                lang.pick("val", "cur"),
                lang.pick("varegruppe", "article group"),
                lang.pick("linjer", "lines"),
                lang.pick("brutto", "gross"),
            ));
            for g in groups {
                let name = lang.pick(&g.name_nb, &g.name_en);
                let label: String = format!("{} {name}", g.group).chars().take(34).collect();
                s.push_str(&format!(
                    "{:<6} {:<12} {:<4} {:<34} {:>7} {:>14}\n",
                    g.level,
                    g.shop_id,
                    g.currency,
                    label,
                    g.count,
                    kr(g.gross)
                ));
            }
        }
        s
    }
}

/// One install stream as HQ sees it (`kasse hq status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamStatus {
    pub install_id: String,
    pub shop_id: String,
    pub till_id: String,
    /// Rows HQ has of this stream.
    pub last_seq: i64,
    /// Rows the till said it still had to send at its last contact.
    pub lag: i64,
    /// RFC 3339 UTC.
    pub last_seen_at: String,
    /// Seconds since then.
    pub seconds_ago: i64,
}

/// Every till's stream, by shop and till.
pub async fn status(pool: &Pool) -> Result<Vec<StreamStatus>, HqError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT install_id, shop_id, till_id, last_seq, till_lag,
                    to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    extract(epoch FROM now() - last_seen_at)::bigint
             FROM hq_streams ORDER BY shop_id, till_id, first_seen_at",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| StreamStatus {
            install_id: r.get(0),
            shop_id: r.get(1),
            till_id: r.get(2),
            last_seq: r.get(3),
            lag: r.get(4),
            last_seen_at: r.get(5),
            seconds_ago: r.get(6),
        })
        .collect())
}
