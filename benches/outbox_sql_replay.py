"""Replay of the SQL the outbox drain runs (src/store/outbox.rs, src/engine/worker.rs, core.rs
publish_outbox_counts), statement for statement, against a schema built from the migrations.
WAL + synchronous=FULL. A statement rusqlite prepares afresh (`execute`/`query_row`) gets a unique
SQL comment so the Python statement cache cannot hide its prepare; `prepare_cached` ones do not.
Evidence for README "Performance" (why the drain got slower), not part of any build or test.
SCHEMA old = migrations up to 0005 (the 2026-12-01 schema), new = up to 0020, idx = new + the
0021 index; CODE old = the 2026-12-01 worker statements, new = before the fix, fixed = prepared
once + dead rows counted (the merged journal+done commit only matters on a real disk).
usage: python3 benches/outbox_sql_replay.py src/store/migrations SCHEMA CODE /dev/shm/replay 5000
       (DROP_TRIGGERS=1 drops every trigger first)"""
import json, os, sqlite3, sys, time, shutil, itertools
from collections import defaultdict
mig_dir, schema, code, dbdir, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
drop = os.environ.get("DROP_TRIGGERS") == "1"
migs = sorted(f for f in os.listdir(mig_dir) if f.endswith(".sql") and f[:4] <= ("0005" if schema == "old" else "0020"))
shutil.rmtree(dbdir, ignore_errors=True); os.makedirs(dbdir)
db = os.path.join(dbdir, "kasse.sqlite3")
c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=FULL"); c.execute("PRAGMA foreign_keys=ON")
for m in migs:
    c.executescript("BEGIN;" + open(os.path.join(mig_dir, m)).read() + ";COMMIT;")
if schema == "idx":
    c.execute("CREATE INDEX outbox_dead_unacknowledged ON outbox (id) WHERE status = 'dead' AND acknowledged_at IS NULL")
if drop:
    for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        c.execute(f'DROP TRIGGER "{name}"')
ntrig = c.execute("SELECT count(*) FROM sqlite_master WHERE type='trigger'").fetchone()[0]
TS = "2026-12-06T03:40:00.000000Z"
def payload(i):
    ref = f"bench-{i:07}"
    lines = [dict(name=f"Vare {l}", id=f"70380100{l:05}", total_amount=12500, total_amount_excluding_tax=10000,
                  total_tax_amount=2500, tax_rate=2500, quantity="1", unit="PCS", unit_price=12500, discount=0, is_return=False) for l in range(3)]
    return ref, json.dumps({"type": "receipt", "api": "ecom", "reference": ref, "currency": "NOK",
        "receipt": {"lines": lines, "receipt_number": f"s1-t1-{i:06}", "pos_id": "s1-t1", "tip_amount": 0, "other_tenders": [], "barcode": True}})
c.execute("BEGIN IMMEDIATE")
for i in range(n):
    ref, p = payload(i)
    c.execute("""INSERT INTO outbox (kind, payment_id, reference, idempotency_key, payload_json, status,
             attempts, next_attempt_at, created_at, updated_at)
         VALUES ('receipt', NULL, ?, ?, ?, 'pending', 0, ?, ?, ?)""", (ref, "om-" + ref, p, TS, TS, TS))
c.execute("COMMIT"); c.close()
c = sqlite3.connect(db, isolation_level=None, cached_statements=256)
c.execute("PRAGMA synchronous=FULL"); c.execute("PRAGMA foreign_keys=ON")
uniq = itertools.count()
cached = code == "fixed"
def q(sql, args=(), always_cached=False):
    if not (cached or always_cached):
        sql = f"{sql} /* {next(uniq)} */"
    return c.execute(sql, args)
COLS = "id, kind, payment_id, reference, idempotency_key, payload_json, status, attempts, next_attempt_at, last_error, created_at, updated_at, acknowledged_by, acknowledged_at"
cat = defaultdict(float)
class T:
    def __init__(s, k): s.k = k
    def __enter__(s): s.t = time.perf_counter()
    def __exit__(s, *a): cat[s.k] += time.perf_counter() - s.t
t0, p0 = time.perf_counter(), time.process_time(); done = 0
while True:
    with T("claim"):
        c.execute("BEGIN IMMEDIATE")
        ids = [r[0] for r in q("""SELECT id FROM outbox WHERE status IN ('pending', 'in_flight') AND status = 'pending'
                   AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?""", ("9999", 16), True)]
        rows = []
        for i in ids:
            q("UPDATE outbox SET status = 'in_flight', attempts = attempts + 1, updated_at = ? WHERE id = ?", (TS, i))
            rows.append(q(f"SELECT {COLS} FROM outbox WHERE id = ?", (i,)).fetchone())
        c.execute("COMMIT")
    if not rows: break
    for r in rows:
        with T("operation"):
            q("""INSERT INTO operations (at, sale_id, payment_id, outbox_id, kind, idempotency_key,
                 request_summary, outcome, http_status, error_code, detail, staff_id)
             VALUES (?, NULL, NULL, ?, 'receipt', ?, ?, 'ok', NULL, NULL, NULL, NULL)""", (TS, r[0], r[4], "receipt " + r[3]), True)
        with T("complete"):
            if code == "old":
                q(f"SELECT {COLS} FROM outbox WHERE id = ?", (r[0],)).fetchone()
                q("UPDATE outbox SET status = 'done', updated_at = ? WHERE id = ?", (TS, r[0]))
            else:
                c.execute("BEGIN IMMEDIATE")
                q(f"SELECT {COLS} FROM outbox WHERE id = ?", (r[0],)).fetchone()
                q("UPDATE outbox SET status = 'done', updated_at = ? WHERE id = ?", (TS, r[0]))
                q("""SELECT r.id, r.sale_id, r.n, r.amount, r.net, r.staff_id, r.training,
                        s.shop_id, s.till_id, s.receipt_number
                 FROM refunds r JOIN sales s ON s.id = r.sale_id WHERE r.idempotency_key = ?""", (r[4],)).fetchone()
                c.execute("COMMIT")
        done += 1
    with T("counts"):
        q("SELECT count(*) FROM outbox WHERE status IN ('pending', 'in_flight')").fetchone()
        if code == "fixed":
            q("SELECT count(*) FROM outbox WHERE status = 'dead' AND acknowledged_at IS NULL").fetchone()
        else:
            q(f"SELECT {COLS} FROM outbox WHERE status = 'dead' AND acknowledged_at IS NULL ORDER BY id").fetchall()
wall, cpu = time.perf_counter() - t0, time.process_time() - p0
print(f"schema={schema:3} code={code:5} trig={ntrig:2} {'tmpfs' if dbdir.startswith('/dev/shm') else 'disk '} "
      f"{done/wall:5.0f}/s wall {wall:5.2f}s cpu {cpu/done*1e6:4.0f}us/row | " + " ".join(f"{k} {v/done*1e6:.0f}" for k, v in cat.items()) + " us/row")
