//! Following a till's customer display from elsewhere (shell): `GET /events` as Server-Sent
//! Events, each event's `data:` the whole [`CustomerView`]. Used by `kasse display` (the
//! display in a terminal). Reconnects after a lost stream; the caller sees `online = false`
//! until the till answers again, so it never shows an old total as if it were current.

use crate::display::view::CustomerView;
use std::time::Duration;
use tokio::sync::watch;

/// The events address of a display page address (`http://h:p/?t=…` → `http://h:p/events?t=…`).
pub fn events_url(page_url: &str) -> String {
    let (base, query) = match page_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (page_url, None),
    };
    let base = base.trim_end_matches('/');
    let base = base.strip_suffix("/events").unwrap_or(base);
    match query {
        Some(q) => format!("{base}/events?{q}"),
        None => format!("{base}/events"),
    }
}

/// Splits a Server-Sent Events byte stream into the events' `data` (multi-line data joined
/// with `\n`; comments and keep-alives yield nothing). Chunks may end anywhere, even inside a
/// UTF-8 character.
#[derive(Debug, Default)]
pub struct SseParser {
    pending: Vec<u8>,
}

impl SseParser {
    /// Feed a chunk; answers the data of every event it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some((event_len, sep_len)) = find_blank_line(&self.pending) {
            let event: Vec<u8> = self.pending.drain(..event_len + sep_len).collect();
            let text = String::from_utf8_lossy(&event[..event_len]);
            let data: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            if !data.is_empty() {
                out.push(data.join("\n"));
            }
        }
        out
    }
}

/// Where the first blank line (`\n\n` or `\r\n\r\n`) ends an event: (event length, separator).
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// How long a stream may stay silent before it counts as lost (the server's keep-alive
/// comes every 15 s).
pub const SILENCE: Duration = Duration::from_secs(40);

/// What the follower publishes: the last view and whether the stream is up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Followed {
    pub view: Option<CustomerView>,
    pub online: bool,
    /// Why the last connection failed (for the log; never carries the token).
    pub error: Option<String>,
}

/// Follow `events_url` until every receiver of `tx` is gone: connect, publish each view,
/// and after a lost or refused stream wait `retry` and connect again.
pub async fn follow(events_url: String, tx: watch::Sender<Followed>, retry: Duration) {
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tx.send_modify(|f| f.error = Some(e.to_string()));
            return;
        }
    };
    while !tx.is_closed() {
        let error = match stream_once(&client, &events_url, &tx).await {
            Ok(()) => "the till closed the stream".to_owned(),
            Err(e) => e,
        };
        tx.send_modify(|f| {
            f.online = false;
            f.error = Some(error);
        });
        tokio::time::sleep(retry).await;
    }
}

/// One connection: publish views until the stream ends or fails.
async fn stream_once(
    client: &reqwest::Client,
    url: &str,
    tx: &watch::Sender<Followed>,
) -> Result<(), String> {
    // The error text of reqwest names the URL, which may carry the pairing token: keep only
    // what kind of failure it was.
    let mut resp = client
        .get(url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .map_err(without_url)?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    let mut parser = SseParser::default();
    loop {
        if tx.is_closed() {
            return Ok(());
        }
        // The till sends a keep-alive comment every 15 s: silence for longer than
        // [`SILENCE`] is a lost till (a network gone quiet closes nothing by itself).
        let chunk = tokio::time::timeout(SILENCE, resp.chunk())
            .await
            .map_err(|_| format!("nothing from the till for {} s", SILENCE.as_secs()))?;
        let Some(chunk) = chunk.map_err(without_url)? else {
            return Ok(());
        };
        for data in parser.push(&chunk) {
            match serde_json::from_str::<CustomerView>(&data) {
                Ok(view) => {
                    tx.send_modify(|f| {
                        f.view = Some(view);
                        f.online = true;
                        f.error = None;
                    });
                }
                Err(e) => tracing::warn!(error = %e, "customer display: an event was not a view"),
            }
        }
    }
}

fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_url_keeps_the_token() {
        assert_eq!(
            events_url("http://10.0.0.5:8088/?t=abc"),
            "http://10.0.0.5:8088/events?t=abc"
        );
        assert_eq!(
            events_url("http://127.0.0.1:8088"),
            "http://127.0.0.1:8088/events"
        );
        assert_eq!(
            events_url("http://127.0.0.1:8088/events"),
            "http://127.0.0.1:8088/events"
        );
    }

    #[test]
    fn sse_events_split_across_chunks_comments_and_crlf() {
        let mut p = SseParser::default();
        assert!(p.push(b": keep-alive\n\n").is_empty());
        assert!(p.push(b"data: {\"a\":").is_empty());
        assert_eq!(p.push(b"1}\n\ndata: x\r\n\r\n"), vec!["{\"a\":1}", "x"]);
        // Two data lines are one event; a UTF-8 character split across chunks survives.
        let bytes = "data: l1\ndata: Pølse\n\n".as_bytes();
        let cut = bytes.iter().position(|b| *b == 0xC3).unwrap() + 1;
        assert!(p.push(&bytes[..cut]).is_empty());
        assert_eq!(p.push(&bytes[cut..]), vec!["l1\nPølse"]);
    }
}
