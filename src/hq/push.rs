//! One batch of one till's feed into PostgreSQL, in ONE transaction: the stream's row is locked,
//! a batch that would leave a gap is refused, rows HQ already has are skipped
//! (`ON CONFLICT DO NOTHING` on (install_id, seq)), the new rows are projected into the
//! reporting tables, and the stream's high-water mark moves. A connection cut anywhere before
//! the commit leaves nothing behind.

use super::HqError;
use crate::store::FeedBatch;

/// Where a push is (for fault-injection tests: [`push_batch_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The feed rows are inserted, nothing is committed yet.
    FeedWritten,
}

/// Who the batch is from (the till's config), and how many rows it still has after this one.
#[derive(Debug, Clone)]
pub struct Sender {
    pub shop_id: String,
    pub till_id: String,
    pub lag_after: i64,
}

/// HQ's high-water mark of the batch's stream after the push (every seq up to it is at HQ).
pub async fn push_batch(
    client: &mut tokio_postgres::Client,
    from: &Sender,
    batch: &FeedBatch,
) -> Result<i64, HqError> {
    push_batch_with(client, from, batch, |_| async {}).await
}

/// The projections of the rows `$1` (install) `$2..=$3` (seq) into the reporting tables.
/// Each is idempotent: running it twice changes nothing.
const PROJECTIONS: &[&str] = &[
    // Sales: the latest snapshot of each sale in the batch, never an older one over a newer.
    "INSERT INTO hq_sales (origin, id, shop_id, till_id, created_at, updated_at, receipt_number,
         staff_id, currency, gross_total, net_total, vat_total, status, training, tender,
         cash_rounding)
     SELECT DISTINCT ON (origin, row_id) origin, row_id, payload ->> 'shop_id',
         payload ->> 'till_id', payload ->> 'created_at', payload ->> 'updated_at',
         payload ->> 'receipt_number', payload ->> 'staff_id', payload ->> 'currency',
         (payload ->> 'gross_total')::bigint, (payload ->> 'net_total')::bigint,
         (payload ->> 'vat_total')::bigint, payload ->> 'status',
         (payload ->> 'training')::int = 1, payload ->> 'tender',
         coalesce((payload ->> 'cash_rounding')::bigint, 0)
     FROM hq_feed WHERE install_id = $1 AND seq BETWEEN $2 AND $3 AND tbl = 'sales'
     ORDER BY origin, row_id, seq DESC
     ON CONFLICT (origin, id) DO UPDATE SET updated_at = excluded.updated_at,
         status = excluded.status, gross_total = excluded.gross_total,
         net_total = excluded.net_total, vat_total = excluded.vat_total,
         training = excluded.training, tender = excluded.tender,
         cash_rounding = excluded.cash_rounding
     WHERE hq_sales.updated_at <= excluded.updated_at",
    "INSERT INTO hq_refunds (origin, id, shop_id, till_id, created_at, sale_id, currency, amount,
         net, vat, training)
     SELECT origin, row_id, payload ->> 'shop_id', payload ->> 'till_id',
         payload ->> 'created_at', (payload ->> 'sale_id')::bigint, payload ->> 'currency',
         (payload ->> 'amount')::bigint, (payload ->> 'net')::bigint, (payload ->> 'vat')::bigint,
         (payload ->> 'training')::int = 1
     FROM hq_feed WHERE install_id = $1 AND seq BETWEEN $2 AND $3 AND tbl = 'refunds'
     ON CONFLICT (origin, id) DO NOTHING",
    "UPDATE hq_refunds r SET status = f.payload ->> 'status'
     FROM hq_feed f WHERE f.install_id = $1 AND f.seq BETWEEN $2 AND $3
       AND f.tbl = 'refund_status' AND r.origin = f.origin AND r.id = f.row_id",
    "INSERT INTO hq_fiscal_keys (origin, version, public_key_pem, created_at)
     SELECT origin, row_id, payload ->> 'public_key_pem', payload ->> 'created_at'
     FROM hq_feed WHERE install_id = $1 AND seq BETWEEN $2 AND $3 AND tbl = 'fiscal_keys'
     ON CONFLICT (origin, version) DO NOTHING",
    "INSERT INTO hq_fiscal_transactions (origin, id, shop_id, till_id, nr, kind, trans_date,
         trans_time, amount_in, amount_ex, signature, key_version, sale_id, refund_id,
         receipt_number, training, staff_id)
     SELECT origin, row_id, payload ->> 'shop_id', payload ->> 'till_id',
         (payload ->> 'nr')::bigint, payload ->> 'kind', payload ->> 'trans_date',
         payload ->> 'trans_time', (payload ->> 'amount_in')::bigint,
         (payload ->> 'amount_ex')::bigint, payload ->> 'signature',
         (payload ->> 'key_version')::bigint, (payload ->> 'sale_id')::bigint,
         (payload ->> 'refund_id')::bigint, payload ->> 'receipt_number',
         (payload ->> 'training')::int = 1, payload ->> 'staff_id'
     FROM hq_feed WHERE install_id = $1 AND seq BETWEEN $2 AND $3
       AND tbl = 'fiscal_transactions'
     ON CONFLICT (origin, id) DO NOTHING",
];

/// [`push_batch`] with a hook called at each [`Stage`] (tests cut the connection there).
pub async fn push_batch_with<F, Fut>(
    client: &mut tokio_postgres::Client,
    from: &Sender,
    batch: &FeedBatch,
    hook: F,
) -> Result<i64, HqError>
where
    F: Fn(Stage) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (Some(first), Some(last)) = (batch.rows.first(), batch.rows.last()) else {
        return Ok(0);
    };
    // The batch itself must be one stream without holes.
    for (i, r) in batch.rows.iter().enumerate() {
        let want = first.seq + i64::try_from(i).unwrap_or(i64::MAX);
        if r.stream != batch.stream || r.seq != want {
            return Err(HqError::Gap {
                stream: batch.stream.clone(),
                next: want,
            });
        }
    }
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO hq_streams (install_id, shop_id, till_id) VALUES ($1, $2, $3)
         ON CONFLICT (install_id) DO NOTHING",
        &[&batch.stream, &from.shop_id, &from.till_id],
    )
    .await?;
    let have: i64 = tx
        .query_one(
            "SELECT last_seq FROM hq_streams WHERE install_id = $1 FOR UPDATE",
            &[&batch.stream],
        )
        .await?
        .get(0);
    if first.seq > have + 1 {
        // Dropping the transaction rolls it back.
        return Err(HqError::Gap {
            stream: batch.stream.clone(),
            next: have + 1,
        });
    }
    if first.seq <= have {
        // A resend: what HQ has must be exactly what the till sends again. A difference means
        // two databases journal under one install id (a copied journal): refuse, loudly.
        let old: Vec<_> = batch.rows.iter().filter(|r| r.seq <= have).collect();
        let seqs: Vec<i64> = old.iter().map(|r| r.seq).collect();
        let payloads: Vec<&str> = old.iter().map(|r| r.payload.as_str()).collect();
        let differing: i64 = tx
            .query_one(
                "SELECT count(*) FROM hq_feed f
                 JOIN unnest($2::bigint[], $3::text[]) AS u (seq, payload) ON f.seq = u.seq
                 WHERE f.install_id = $1 AND f.payload <> u.payload::jsonb",
                &[&batch.stream, &seqs, &payloads],
            )
            .await?
            .get(0);
        if differing > 0 {
            return Err(HqError::Clash {
                stream: batch.stream.clone(),
                rows: differing,
            });
        }
    }
    if last.seq > have {
        let fresh: Vec<_> = batch.rows.iter().filter(|r| r.seq > have).collect();
        let seqs: Vec<i64> = fresh.iter().map(|r| r.seq).collect();
        let tbls: Vec<&str> = fresh.iter().map(|r| r.tbl.as_str()).collect();
        let ops: Vec<&str> = fresh.iter().map(|r| r.op.as_str()).collect();
        let row_ids: Vec<i64> = fresh.iter().map(|r| r.row_id).collect();
        let origins: Vec<&str> = fresh.iter().map(|r| r.origin.as_str()).collect();
        let payloads: Vec<&str> = fresh.iter().map(|r| r.payload.as_str()).collect();
        tx.execute(
            "INSERT INTO hq_feed (install_id, seq, tbl, op, row_id, origin, payload)
             SELECT $1, u.seq, u.tbl, u.op, u.row_id, u.origin, u.payload::jsonb
             FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[],
                         $7::text[]) AS u (seq, tbl, op, row_id, origin, payload)
             ON CONFLICT (install_id, seq) DO NOTHING",
            &[
                &batch.stream,
                &seqs,
                &tbls,
                &ops,
                &row_ids,
                &origins,
                &payloads,
            ],
        )
        .await?;
        hook(Stage::FeedWritten).await;
        let lo = have + 1;
        for sql in PROJECTIONS {
            tx.execute(*sql, &[&batch.stream, &lo, &last.seq]).await?;
        }
    }
    let high = have.max(last.seq);
    tx.execute(
        "UPDATE hq_streams SET last_seq = $2, last_seen_at = now(), till_lag = $3,
             shop_id = $4, till_id = $5
         WHERE install_id = $1",
        &[
            &batch.stream,
            &high,
            &from.lag_after,
            &from.shop_id,
            &from.till_id,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(high)
}

/// A till with nothing to send still says it is alive (`hq status`' last seen time).
pub async fn heartbeat(
    client: &tokio_postgres::Client,
    stream: &str,
    from: &Sender,
) -> Result<(), HqError> {
    client
        .execute(
            "UPDATE hq_streams SET last_seen_at = now(), till_lag = $2 WHERE install_id = $1",
            &[&stream, &from.lag_after],
        )
        .await?;
    Ok(())
}
