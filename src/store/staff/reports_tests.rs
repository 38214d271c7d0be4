//! Property test of the report totals: the hourly totals equal the live aggregates.

/// The hourly totals kept by the triggers of migration 0005 give the same figures as the
/// live aggregates, for data written before the migration (backfill) and after it
/// (triggers), through inserts and every kind of update the journal makes.
mod hourly_totals {
    use super::super::*;
    use crate::store::MIGRATIONS;
    use proptest::prelude::*;
    use rusqlite::Connection;
    use time::macros::{date, datetime};

    #[derive(Debug, Clone)]
    enum Op {
        Sale {
            till: u8,
            hour: i64,
            minute: i64,
            training: bool,
            eur: bool,
            status: usize,
            tender: usize,
            lines: Vec<(usize, i64, bool)>,
        },
        Status {
            sale: usize,
            status: usize,
        },
        Tender {
            sale: usize,
            tender: usize,
        },
        Pay {
            sale: usize,
            api: usize,
            captured: i64,
        },
        Capture {
            payment: usize,
            captured: i64,
        },
        LineReturn {
            line: usize,
        },
        DeleteLine {
            line: usize,
        },
        /// A cash-only sale paid rounded to the cash step (øreavrunding), one line.
        RoundedCash {
            till: u8,
            hour: i64,
            minute: i64,
            training: bool,
            eur: bool,
            status: usize,
            gross: i64,
        },
    }

    const STATUSES: [&str; 7] = [
        "open",
        "paid",
        "failed",
        "cancelled",
        "voided",
        "partially_refunded",
        "refunded",
    ];
    const TENDERS: [&str; 3] = ["vipps", "cash", "cash+vipps"];
    const RATES: [i64; 4] = [2500, 1500, 1200, 0];
    const APIS: [&str; 3] = ["epayment", "ecom", "psp"];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u8..3, 0i64..50, 0i64..60, any::<bool>(), any::<bool>(), 0usize..7,
                  0usize..3, proptest::collection::vec((0usize..4, 0i64..20_000, any::<bool>()), 0..4))
                .prop_map(|(till, hour, minute, training, eur, status, tender, lines)| Op::Sale {
                    till, hour, minute, training, eur, status, tender, lines,
                }),
            3 => (any::<usize>(), 0usize..7).prop_map(|(sale, status)| Op::Status { sale, status }),
            1 => (any::<usize>(), 0usize..3).prop_map(|(sale, tender)| Op::Tender { sale, tender }),
            2 => (any::<usize>(), 0usize..3, 0i64..20_000)
                .prop_map(|(sale, api, captured)| Op::Pay { sale, api, captured }),
            2 => (any::<usize>(), 0i64..20_000)
                .prop_map(|(payment, captured)| Op::Capture { payment, captured }),
            1 => any::<usize>().prop_map(|line| Op::LineReturn { line }),
            1 => any::<usize>().prop_map(|line| Op::DeleteLine { line }),
            2 => (0u8..3, 0i64..50, 0i64..60, any::<bool>(), any::<bool>(), 0usize..7, -5_000i64..20_000)
                .prop_map(|(till, hour, minute, training, eur, status, gross)| Op::RoundedCash {
                    till, hour, minute, training, eur, status, gross,
                }),
        ]
    }

    /// `rounding_column`: migration 0008 ran (before it, a rounded sale is journaled
    /// without its rounding, as an older kasse would have).
    fn apply(conn: &Connection, ops: &[Op], seq: &mut i64, rounding_column: bool) {
        let day = datetime!(2026-11-20 00:00 UTC);
        for o in ops {
            let ids = |table: &str| -> Vec<i64> {
                let mut st = conn
                    .prepare(&format!("SELECT id FROM {table} ORDER BY id"))
                    .unwrap();
                st.query_map([], |r| r.get(0))
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect()
            };
            let pick = |table: &str, i: usize| -> Option<i64> {
                let v = ids(table);
                (!v.is_empty()).then(|| v[i % v.len()])
            };
            match o {
                Op::Sale {
                    till,
                    hour,
                    minute,
                    training,
                    eur,
                    status,
                    tender,
                    lines,
                } => {
                    *seq += 1;
                    let at = ts(day + time::Duration::minutes(hour * 60 + minute));
                    let lines: Vec<(i64, i64, i64, bool)> = lines
                        .iter()
                        .map(|&(r, gross, ret)| {
                            let vat = crate::domain::refund::vat_of_gross(gross, RATES[r]);
                            (RATES[r], gross, vat, ret)
                        })
                        .collect();
                    let gross: i64 = lines.iter().map(|l| if l.3 { -l.1 } else { l.1 }).sum();
                    let vat: i64 = lines.iter().map(|l| if l.3 { -l.2 } else { l.2 }).sum();
                    conn.execute(
                        "INSERT INTO sales (created_at, updated_at, shop_id, till_id, sequence,
                             receipt_number, currency, gross_total, vat_total, net_total,
                             status, training, tender)
                         VALUES (?1, ?1, 's1', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                        params![
                            at,
                            format!("t{till}"),
                            *seq,
                            format!("r{seq}"),
                            if *eur { "EUR" } else { "NOK" },
                            gross,
                            vat,
                            gross - vat,
                            STATUSES[*status],
                            *training,
                            TENDERS[*tender]
                        ],
                    )
                    .unwrap();
                    let sale = conn.last_insert_rowid();
                    for (n, (rate, g, v, ret)) in lines.iter().enumerate() {
                        conn.execute(
                            "INSERT INTO sale_lines (sale_id, line_no, name, quantity,
                                 quantity_milli, unit, unit_price, vat_rate, gross, net, vat,
                                 is_return)
                             VALUES (?1, ?2, 'x', '1', 1000, 'pcs', ?3, ?4, ?3, ?5, ?6, ?7)",
                            params![sale, n as i64 + 1, g, rate, g - v, v, ret],
                        )
                        .unwrap();
                    }
                }
                Op::Status { sale, status } => {
                    if let Some(id) = pick("sales", *sale) {
                        conn.execute(
                            "UPDATE sales SET status = ?1, updated_at = 'x' WHERE id = ?2",
                            params![STATUSES[*status], id],
                        )
                        .unwrap();
                    }
                }
                Op::Tender { sale, tender } => {
                    if let Some(id) = pick("sales", *sale) {
                        conn.execute(
                            "UPDATE sales SET tender = ?1 WHERE id = ?2",
                            params![TENDERS[*tender], id],
                        )
                        .unwrap();
                    }
                }
                Op::Pay {
                    sale,
                    api,
                    captured,
                } => {
                    if let Some(id) = pick("sales", *sale) {
                        *seq += 1;
                        conn.execute(
                            "INSERT INTO payments (sale_id, api, msn, reference, attempt, flow,
                                 currency, amount, state, create_key, capture_key, cancel_key,
                                 created_at, updated_at, captured_amount)
                             VALUES (?1, ?2, '123456', ?3, ?4, 'push', 'NOK', 20000, 'x',
                                 ?5, ?6, ?7, 'x', 'x', ?8)",
                            params![
                                id,
                                APIS[*api],
                                format!("ref{seq}"),
                                *seq,
                                format!("c{seq}"),
                                format!("k{seq}"),
                                format!("x{seq}"),
                                captured
                            ],
                        )
                        .unwrap();
                    }
                }
                Op::Capture { payment, captured } => {
                    if let Some(id) = pick("payments", *payment) {
                        conn.execute(
                            "UPDATE payments SET captured_amount = ?1 WHERE id = ?2",
                            params![captured, id],
                        )
                        .unwrap();
                    }
                }
                Op::LineReturn { line } => {
                    if let Some(id) = pick("sale_lines", *line) {
                        conn.execute(
                            "UPDATE sale_lines SET is_return = 1 - is_return WHERE id = ?1",
                            params![id],
                        )
                        .unwrap();
                    }
                }
                Op::DeleteLine { line } => {
                    if let Some(id) = pick("sale_lines", *line) {
                        conn.execute("DELETE FROM sale_lines WHERE id = ?1", params![id])
                            .unwrap();
                    }
                }
                Op::RoundedCash {
                    till,
                    hour,
                    minute,
                    training,
                    eur,
                    status,
                    gross,
                } => {
                    *seq += 1;
                    let at = ts(day + time::Duration::minutes(hour * 60 + minute));
                    let currency = if *eur {
                        crate::domain::money::Currency::Eur
                    } else {
                        crate::domain::money::Currency::Nok
                    };
                    let rounding = crate::domain::money::Money::new(*gross, currency)
                        .cash_rounding()
                        .minor();
                    let vat = crate::domain::refund::vat_of_gross(*gross, 1500);
                    let cols = if rounding_column {
                        ", cash_rounding"
                    } else {
                        ""
                    };
                    let val = if rounding_column { ", ?11" } else { "" };
                    let sql = format!(
                        "INSERT INTO sales (created_at, updated_at, shop_id, till_id, sequence,
                             receipt_number, currency, gross_total, vat_total, net_total,
                             status, training, tender{cols})
                         VALUES (?1, ?1, 's1', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'cash'{val})"
                    );
                    let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![
                        Box::new(at),
                        Box::new(format!("t{till}")),
                        Box::new(*seq),
                        Box::new(format!("r{seq}")),
                        Box::new(currency.code()),
                        Box::new(*gross),
                        Box::new(vat),
                        Box::new(gross - vat),
                        Box::new(STATUSES[*status]),
                        Box::new(*training),
                    ];
                    if rounding_column {
                        args.push(Box::new(rounding));
                    }
                    conn.execute(&sql, rusqlite::params_from_iter(args.iter()))
                        .unwrap();
                    let sale = conn.last_insert_rowid();
                    conn.execute(
                        "INSERT INTO sale_lines (sale_id, line_no, name, quantity,
                             quantity_milli, unit, unit_price, vat_rate, gross, net, vat,
                             is_return)
                         VALUES (?1, 1, 'x', '1', 1000, 'pcs', ?2, 1500, ?2, ?3, ?4, 0)",
                        params![sale, gross, gross - vat, vat],
                    )
                    .unwrap();
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn hourly_totals_equal_live_aggregates(
            before in proptest::collection::vec(op(), 0..25),
            after in proptest::collection::vec(op(), 0..40),
        ) {
            let mut conn = Connection::open_in_memory().unwrap();
            MIGRATIONS.to_version(&mut conn, 2).unwrap();
            let mut seq = 0;
            apply(&conn, &before, &mut seq, false);
            MIGRATIONS.to_latest(&mut conn).unwrap();
            apply(&conn, &after, &mut seq, true);
            let offset = UtcOffset::from_hms(1, 0, 0).unwrap();
            let mut periods = vec![
                day_bounds(date!(2026-11-20), offset),
                day_bounds(date!(2026-11-21), offset),
                day_bounds(date!(2026-11-21), UtcOffset::UTC),
                (datetime!(2026-11-20 05:00 UTC), datetime!(2026-11-21 17:00 UTC)),
            ];
            periods.push((datetime!(2026-11-19 00:00 UTC), datetime!(2026-11-23 00:00 UTC)));
            for (from, to) in periods {
                prop_assert_eq!(source_for(from, to), Source::Hourly);
                for till in ["t0", "t1"] {
                    let live = compute_from(&conn, "s1", till, from, to, Source::Live).unwrap();
                    let hourly = compute_from(&conn, "s1", till, from, to, Source::Hourly).unwrap();
                    // The rounding sums agree with a plain scan (no index, no hourly rows),
                    // and the cash tender holds them.
                    for sec in &live.0 {
                        let scan: i64 = conn
                            .query_row(
                                "SELECT coalesce(sum(cash_rounding), 0) FROM sales NOT INDEXED
                                 WHERE shop_id = 's1' AND till_id = ?1 AND created_at >= ?2
                                   AND created_at < ?3 AND training = ?4 AND currency = ?5
                                   AND tender = 'cash'
                                   AND status IN ('paid', 'partially_refunded', 'refunded')",
                                params![till, ts(from), ts(to), sec.training, sec.currency],
                                |r| r.get(0),
                            )
                            .unwrap();
                        prop_assert_eq!(sec.cash_rounding, scan);
                        let cash_sales: i64 = conn
                            .query_row(
                                "SELECT coalesce(sum(gross_total + cash_rounding), 0)
                                 FROM sales NOT INDEXED
                                 WHERE shop_id = 's1' AND till_id = ?1 AND created_at >= ?2
                                   AND created_at < ?3 AND training = ?4 AND currency = ?5
                                   AND tender = 'cash'
                                   AND status IN ('paid', 'partially_refunded', 'refunded')",
                                params![till, ts(from), ts(to), sec.training, sec.currency],
                                |r| r.get(0),
                            )
                            .unwrap();
                        let cash_tender = sec
                            .tenders
                            .iter()
                            .filter(|t| t.tender == "cash")
                            .map(|t| t.gross)
                            .sum::<i64>();
                        let split_cash: i64 = conn
                            .query_row(
                                "SELECT coalesce(sum(s.gross_total - p.amount), 0)
                                 FROM sales s JOIN payments p ON p.sale_id = s.id
                                 WHERE s.shop_id = 's1' AND s.till_id = ?1
                                   AND s.created_at >= ?2 AND s.created_at < ?3
                                   AND s.training = ?4 AND s.currency = ?5
                                   AND s.tender = 'cash+vipps' AND p.captured_amount > 0
                                   AND s.status IN ('paid', 'partially_refunded', 'refunded')",
                                params![till, ts(from), ts(to), sec.training, sec.currency],
                                |r| r.get(0),
                            )
                            .unwrap();
                        prop_assert_eq!(cash_tender, cash_sales + split_cash);
                    }
                    prop_assert_eq!(live, hourly);
                }
            }
        }
    }

    #[test]
    fn bounds_off_the_hour_use_the_live_aggregates() {
        let from = datetime!(2026-11-20 23:30 UTC);
        assert_eq!(source_for(from, from + time::Duration::DAY), Source::Live);
        let at_offset = day_bounds(
            date!(2026 - 11 - 21),
            UtcOffset::from_hms(5, 30, 0).unwrap(),
        );
        assert_eq!(source_for(at_offset.0, at_offset.1), Source::Live);
        let whole = day_bounds(date!(2026 - 11 - 21), UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(source_for(whole.0, whole.1), Source::Hourly);
    }
}
