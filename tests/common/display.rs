//! Shared by the customer display's browser test and bench: Debian's chromium driven through
//! chromedriver (WebDriver, `fantoccini`), the till's real update loop publishing into the
//! display, and a QR reader for screenshots (`rqrr`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use fantoccini::{Client, ClientBuilder, Locator};
use kasse::display::{DisplayInfo, Publisher, customer_view};
use kasse::lang::Lang;
use kasse::tui::{App, AppEvent, Command, Msg, update};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value as Json;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

pub const KVIKK: &str = "7038010001000"; // Kvikk Lunsj 47 g, kr 24,90
pub const COLA: &str = "7038010001017"; // Coca-Cola 0,5 l, kr 32,90
pub const QR_URL: &str = "https://qr.vipps.no/28/2/01/031/4791234567?v=1&token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK";
pub const SHOP: &str = "Kiosken på hjørnet";

/// chromium and chromedriver, from `KASSE_CHROMIUM` / `KASSE_CHROMEDRIVER` or the PATH
/// (Debian: packages chromium and chromium-driver).
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The browser tools, or `None` with the reason printed (a failure under `CI=true`).
pub fn tools() -> Option<Tools> {
    let from_env = |k: &str| std::env::var_os(k).map(PathBuf::from);
    let chromium = from_env("KASSE_CHROMIUM")
        .or_else(|| which("chromium"))
        .or_else(|| which("chromium-browser"));
    let chromedriver = from_env("KASSE_CHROMEDRIVER").or_else(|| which("chromedriver"));
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some(Tools {
            chromium,
            chromedriver,
        }),
        (c, d) => {
            let missing = [
                c.is_none().then_some("chromium"),
                d.is_none().then_some("chromedriver (chromium-driver)"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" and ");
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "the customer display's browser test needs {missing} under CI \
                 (apt-get install chromium chromium-driver; .ci/run installs them)"
            );
            eprintln!(
                "skipped: {missing} not installed (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

/// A headless chromium session; the chromedriver process is killed on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    pub async fn start(tools: &Tools, width: u32, height: u32) -> Browser {
        let port = free_port();
        let driver = std::process::Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut browser_driver = Some(driver);
        let webdriver = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        let client = loop {
            let mut caps = serde_json::Map::new();
            caps.insert(
                "goog:chromeOptions".into(),
                serde_json::json!({
                    "binary": tools.chromium.to_string_lossy(),
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--hide-scrollbars",
                        "--force-device-scale-factor=1", "--no-first-run",
                        format!("--window-size={width},{height}"),
                    ],
                }),
            );
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&webdriver)
                .await
            {
                Ok(c) => break c,
                Err(e) if start.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no WebDriver session from {webdriver}: {e}"),
            }
        };
        let b = Browser {
            client,
            driver: browser_driver.take().unwrap(),
        };
        b.viewport(width, height).await;
        b
    }

    /// Make the page's viewport `width`×`height` CSS pixels.
    pub async fn viewport(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        let (iw, ih) = (
            inner[0].as_u64().unwrap_or(0),
            inner[1].as_u64().unwrap_or(0),
        );
        if (iw, ih) != (u64::from(width), u64::from(height)) && iw > 0 && ih > 0 {
            let w = i64::from(width) * 2 - i64::try_from(iw).unwrap();
            let h = i64::from(height) * 2 - i64::try_from(ih).unwrap();
            self.client
                .set_window_size(u32::try_from(w).unwrap(), u32::try_from(h).unwrap())
                .await
                .unwrap();
        }
    }

    /// Evaluate `script` (a `return …` body) until it is truthy; its value.
    pub async fn wait_for(&self, what: &str, script: &str) -> Json {
        let start = Instant::now();
        loop {
            let v = self.client.execute(script, vec![]).await.unwrap();
            let truthy = match &v {
                Json::Null | Json::Bool(false) => false,
                Json::String(s) => !s.is_empty(),
                Json::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return v;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let body = self
                    .client
                    .execute("return document.body.outerHTML.slice(0, 2000);", vec![])
                    .await
                    .unwrap();
                panic!("timed out waiting for {what}; page: {body}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// PNG of one element.
    pub async fn shot(&self, css: &str) -> Vec<u8> {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .screenshot()
            .await
            .unwrap()
    }

    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.kill();
    }
}

/// The content of the QR code in a PNG screenshot.
pub fn decode_qr(png_bytes: &[u8]) -> Result<String, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader.output_buffer_size().ok_or("PNG too large")?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let (w, h) = (info.width as usize, info.height as usize);
    let samples = info.color_type.samples();
    let stride = info.line_size;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let i = y * stride + x * samples;
        match samples {
            1 | 2 => buf[i],
            _ => {
                let (r, g, b) = (
                    u32::from(buf[i]),
                    u32::from(buf[i + 1]),
                    u32::from(buf[i + 2]),
                );
                u8::try_from((r * 299 + g * 587 + b * 114) / 1000).unwrap_or(255)
            }
        }
    });
    let grids = img.detect_grids();
    let grid = grids
        .first()
        .ok_or(format!("no QR code found in {w}×{h} image"))?;
    let (_, content) = grid.decode().map_err(|e| e.to_string())?;
    Ok(content)
}

/// The till's model driven by the real `update`, publishing the customer's view after every
/// update (what `run_observed` does in the binary, without a terminal).
pub struct Till {
    pub app: App,
    pub publisher: Publisher,
    pub info: DisplayInfo,
}

pub fn ctx(lang: Lang) -> kasse::tui::RunContext {
    kasse::tui::RunContext {
        environment: kasse::tui::EnvLabel::Training,
        msn: "765432".to_string(),
        vipps_api: kasse::domain::money::VippsApi::Epayment,
        lang,
        currency: kasse::domain::money::Currency::Nok,
        kiosk: None,
        catalog: kasse::tui::catalog::Catalog::demo().unwrap(),
        keymap: kasse::tui::keymap::Keymap::default_keymap().unwrap(),
        theme: kasse::tui::theme::Theme::default_theme().unwrap(),
        demo: true,
        clock: std::sync::Arc::new(kasse::clock::ManualClock::fixed()),
        utc_offset: time::UtcOffset::UTC,
        tick: Duration::from_millis(250),
        manager_pins: false,
        login_required: false,
        rules: kasse::tui::ScreenRules::default(),
        cashier: None,
    }
}

impl Till {
    pub fn new(lang: Lang) -> Till {
        let app = App::new(&ctx(lang));
        let info = DisplayInfo {
            shop: SHOP.to_string(),
            lang,
            currency: kasse::domain::money::Currency::Nok,
        };
        let publisher = Publisher::new(customer_view(&app, &info));
        Till {
            app,
            publisher,
            info,
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        let cmds = update(&mut self.app, msg);
        self.publisher.publish(customer_view(&self.app, &self.info));
        cmds
    }

    pub fn key(&mut self, code: KeyCode) -> Vec<Command> {
        self.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    /// Like a keyboard-wedge scanner: the digits, then Enter.
    pub fn scan(&mut self, code: &str) -> Vec<Command> {
        let mut out = Vec::new();
        for c in code.chars() {
            out.extend(self.key(KeyCode::Char(c)));
        }
        out.extend(self.key(KeyCode::Enter));
        out
    }

    pub fn event(&mut self, ev: AppEvent) -> Vec<Command> {
        self.update(Msg::App(ev))
    }
}

/// A payment view as the engine reports it.
pub fn payment(
    status: kasse::tui::PaymentStatusView,
    amount: i64,
    qr: Option<&str>,
) -> kasse::tui::PaymentView {
    kasse::tui::PaymentView {
        reference: "kasse-s1-t1-000042-a1".to_string(),
        amount: kasse::domain::money::Money::nok(amount),
        status,
        open_left: Some(Duration::from_secs(300)),
        approve_left: None,
        qr_payload: qr.map(str::to_owned),
        reason: None,
        receipt_number: None,
        qr_fallback: false,
        open_signal: false,
    }
}
