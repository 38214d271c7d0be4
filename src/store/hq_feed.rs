//! The HQ feed's SQL (migration 0014): stamping rows with their stream and sequence, reading
//! the next batch, the acknowledged cursor and the lag. The rows themselves are written by
//! triggers in the same transaction as the journal writes they describe.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::{Store, StoreError, Tx, sql::ts};

/// One feed row, stamped: `(stream, seq)` is its identity at HQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    /// Local row id of the feed (the cursor counts these).
    pub id: i64,
    /// The install id this row is replicated under.
    pub stream: String,
    /// Sequence in the stream, from 1 without gaps.
    pub seq: i64,
    /// Journal table (`sales`, `sale_lines`, `payments`, `refunds`, …).
    pub tbl: String,
    /// `i` (a new row) or `u` (a new snapshot of a row).
    pub op: String,
    /// The row's id in its table at the till.
    pub row_id: i64,
    /// The install under which the row was first journaled.
    pub origin: String,
    /// The row as JSON.
    pub payload: String,
}

/// The next rows to send: all of one stream, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedBatch {
    pub stream: String,
    pub rows: Vec<FeedRow>,
}

impl FeedBatch {
    /// Feed id of the last row (what to acknowledge once HQ has it).
    pub fn last_id(&self) -> i64 {
        self.rows.last().map_or(0, |r| r.id)
    }
}

/// Stamp the next unstamped rows (at most `limit`, in id order) with their stream — the install
/// id they were journaled under, else the database's first one — their sequence in that stream, and the
/// install of the row they describe (`origin`).
fn stamp(tx: &Tx<'_>, limit: usize, now: OffsetDateTime) -> Result<(), StoreError> {
    let t = tx.tx;
    let mut unstamped = t.prepare_cached(
        "SELECT id, tbl, op, row_id, install FROM hq_feed WHERE stream IS NULL
         ORDER BY id LIMIT ?1",
    )?;
    type Unstamped = (i64, String, String, i64, Option<String>);
    let rows: Vec<Unstamped> = unstamped
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    drop(unstamped);
    if rows.is_empty() {
        return Ok(());
    }
    // Rows journaled before the database had an install id belong to its first one.
    let current = tx.install_id(now)?;
    let first: String = t
        .query_row(
            "SELECT install_id FROM installs ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| current.clone());
    let mut next: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut max_seq =
        t.prepare_cached("SELECT coalesce(max(seq), 0) FROM hq_feed WHERE stream = ?1")?;
    let mut origin_of = t.prepare_cached(
        "SELECT stream FROM hq_feed WHERE tbl = ?1 AND row_id = ?2 AND op = 'i'
         ORDER BY id LIMIT 1",
    )?;
    let mut set = t.prepare_cached(
        "UPDATE hq_feed SET stream = ?2, seq = ?3, origin = ?4 WHERE id = ?1 AND stream IS NULL",
    )?;
    for (id, tbl, op, row_id, install) in rows {
        let stream = install.unwrap_or_else(|| first.clone());
        let seq = match next.get_mut(&stream) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => {
                let n: i64 = max_seq.query_row([&stream], |r| r.get(0))?;
                next.insert(stream.clone(), n + 1);
                n + 1
            }
        };
        let origin = if op == "u" {
            origin_of
                .query_row(params![tbl, row_id], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten()
                .unwrap_or_else(|| stream.clone())
        } else {
            stream.clone()
        };
        set.execute(params![id, stream, seq, origin])?;
    }
    Ok(())
}

impl Store {
    /// The next rows HQ has not acknowledged (at most `limit`, all of one stream, in order),
    /// stamping new rows with the current install id and their sequence first. `None` when HQ
    /// has everything.
    pub fn hq_next_batch(
        &mut self,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<Option<FeedBatch>, StoreError> {
        let limit = limit.max(1);
        self.transaction(|tx| {
            stamp(tx, limit, now)?;
            let mut stmt = tx.tx.prepare_cached(
                "SELECT id, stream, seq, tbl, op, row_id, origin, payload FROM hq_feed
                 WHERE id > (SELECT acked_id FROM hq_cursor WHERE id = 1) AND stream IS NOT NULL
                 ORDER BY id LIMIT ?1",
            )?;
            let mut rows = stmt.query([i64::try_from(limit).unwrap_or(i64::MAX)])?;
            let mut batch: Option<FeedBatch> = None;
            while let Some(r) = rows.next()? {
                let row = FeedRow {
                    id: r.get(0)?,
                    stream: r.get(1)?,
                    seq: r.get(2)?,
                    tbl: r.get(3)?,
                    op: r.get(4)?,
                    row_id: r.get(5)?,
                    origin: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                    payload: r.get(7)?,
                };
                match &mut batch {
                    None => {
                        batch = Some(FeedBatch {
                            stream: row.stream.clone(),
                            rows: vec![row],
                        })
                    }
                    Some(b) if b.stream == row.stream => b.rows.push(row),
                    Some(_) => break,
                }
            }
            Ok(batch)
        })
    }

    /// HQ has every feed row up to `id` (never moves back; see [`Store::hq_rewind`]).
    pub fn hq_ack(&mut self, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE hq_cursor SET acked_id = max(acked_id, ?1), acked_at = ?2 WHERE id = 1",
            params![id, ts(now)],
        )?;
        Ok(())
    }

    /// HQ's copy of `stream` ends before `next_seq` (e.g. HQ restored from an older backup):
    /// send again from there.
    pub fn hq_rewind(&mut self, stream: &str, next_seq: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE hq_cursor SET acked_id = coalesce((SELECT max(id) FROM hq_feed
                 WHERE stream = ?1 AND seq < ?2), 0) WHERE id = 1",
            params![stream, next_seq],
        )?;
        Ok(())
    }

    /// Feed rows HQ has not acknowledged yet.
    pub fn hq_lag(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM hq_feed WHERE id > (SELECT acked_id FROM hq_cursor WHERE id = 1)",
            [],
            |r| r.get(0),
        )?)
    }

    /// When HQ last acknowledged rows (RFC 3339), if ever.
    pub fn hq_acked_at(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT acked_at FROM hq_cursor WHERE id = 1", [], |r| {
                r.get(0)
            })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-21 12:00:00 UTC);

    fn feed_rows(s: &Store) -> i64 {
        s.conn
            .query_row("SELECT count(*) FROM hq_feed", [], |r| r.get(0))
            .unwrap()
    }

    fn staff_action(s: &Store, n: i64) {
        for i in 0..n {
            s.conn
                .execute(
                    "INSERT INTO staff_actions (at, staff_id, action, allowed) VALUES (?1, 's1', 'x_report', 1)",
                    params![format!("2026-11-21T12:00:{:02}.000Z", i % 60)],
                )
                .unwrap();
        }
    }

    #[test]
    fn journal_writes_fill_the_feed_and_batches_come_in_order_once() {
        let mut s = Store::open_in_memory().unwrap();
        let before = feed_rows(&s);
        staff_action(&s, 5);
        assert_eq!(feed_rows(&s), before + 5);
        assert_eq!(s.hq_lag().unwrap(), before + 5);
        let b = s.hq_next_batch(3, T0).unwrap().unwrap();
        assert_eq!(b.rows.len(), 3);
        let seqs: Vec<i64> = b.rows.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
        // Not acknowledged: the same rows again, same stamps.
        let again = s.hq_next_batch(3, T0).unwrap().unwrap();
        assert_eq!(again, b);
        s.hq_ack(b.last_id(), T0).unwrap();
        let rest = s.hq_next_batch(100, T0).unwrap().unwrap();
        assert_eq!(rest.rows.first().unwrap().seq, 4);
        s.hq_ack(rest.last_id(), T0).unwrap();
        assert_eq!(s.hq_lag().unwrap(), 0);
        assert!(s.hq_next_batch(100, T0).unwrap().is_none());
        // Rewind: HQ lost everything after seq 2.
        s.hq_rewind(&b.stream, 3).unwrap();
        let again = s.hq_next_batch(100, T0).unwrap().unwrap();
        assert_eq!(again.rows.first().unwrap().seq, 3);
    }

    #[test]
    fn a_new_install_id_starts_a_new_stream_and_old_rows_keep_theirs() {
        let mut s = Store::open_in_memory().unwrap();
        staff_action(&s, 2);
        let first = s.hq_next_batch(100, T0).unwrap().unwrap();
        let old = first.stream.clone();
        let new = s.renew_install_id("restored", T0).unwrap();
        assert_ne!(old, new);
        staff_action(&s, 2);
        // Old stream first (not acknowledged), then the new one from seq 1.
        let b = s.hq_next_batch(100, T0).unwrap().unwrap();
        assert_eq!(b.stream, old);
        s.hq_ack(b.last_id(), T0).unwrap();
        let b = s.hq_next_batch(100, T0).unwrap().unwrap();
        assert_eq!(b.stream, new);
        assert_eq!(b.rows.first().unwrap().seq, 1);
    }

    #[test]
    fn the_feed_is_append_only() {
        let mut s = Store::open_in_memory().unwrap();
        staff_action(&s, 1);
        s.hq_next_batch(10, T0).unwrap().unwrap();
        assert!(s.conn.execute("DELETE FROM hq_feed", []).is_err());
        assert!(
            s.conn
                .execute("UPDATE hq_feed SET payload = '{}'", [])
                .is_err()
        );
        assert!(
            s.conn
                .execute("UPDATE hq_feed SET seq = seq + 1", [])
                .is_err()
        );
    }
}
