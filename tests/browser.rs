//! The page in a real browser: headless Chromium driven by chromedriver over
//! WebDriver (fantoccini), at a phone's 390×844, against the real server.
//! It does what a worker does: asks, taps a choice, shares a location (set
//! through the DevTools protocol), sends markup, votes 👎, reloads, clears.
//! Screenshots of each step go to `<target>/tmp/browser/`.
//!
//! Without Chromium or chromedriver this test FAILS (with what to install):
//! the page is a deliverable, and a skipped test would hide that it was never
//! looked at. `.ci/run` installs both.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::web::TestServer;

const WIDTH: u32 = 390;
const HEIGHT: u32 = 844;

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    let chromedriver = find_program(&["chromedriver"]).expect("chromedriver is not installed: apt-get install -y chromium chromium-driver (.ci/run does this)");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver { child, port }
}

/// A DevTools command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.0, "params": self.1 }).to_string()))
    }
}

async fn cdp(c: &Client, cmd: &'static str, params: Value) {
    c.issue_cmd(Cdp(cmd, params)).await.unwrap_or_else(|e| panic!("{cmd}: {e}"));
}

async fn connect(driver: &Driver, profile: &std::path::Path, extra_args: &[String]) -> Client {
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]).expect("Chromium is not installed: apt-get install -y chromium chromium-driver (.ci/run does this)");
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--lang=zh-CN",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--window-size={WIDTH},{HEIGHT}"));
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend(extra_args.iter().cloned());
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), json!({ "binary": chromium, "args": args }));
    caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless Chromium");
    cdp(&c, "Emulation.setDeviceMetricsOverride", json!({ "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": true })).await;
    c
}

fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(shots_dir().join(format!("{name}.png")), png).unwrap();
}

/// Waits until `script` (a JS expression) is truthy; returns its value.
async fn wait_js(c: &Client, what: &str, script: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = c.execute(&format!("return ({script});"), vec![]).await.expect("script runs");
        if !(v.is_null() || v == json!(false) || v == json!(0) || v == json!("")) {
            return v;
        }
        if Instant::now() > deadline {
            let log = c.execute("return document.getElementById('log').innerText;", vec![]).await.unwrap_or_default();
            panic!("timed out waiting for {what}; the conversation shows:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn bot_count(c: &Client) -> u64 {
    c.execute("return document.querySelectorAll('#log .msg.bot').length;", vec![]).await.unwrap().as_u64().unwrap()
}

async fn ask(c: &Client, q: &str) {
    let input: Element = c.find(Locator::Css("#q")).await.unwrap();
    input.send_keys(q).await.unwrap();
    c.find(Locator::Css("#send")).await.unwrap().click().await.unwrap();
}

#[tokio::test]
async fn browser_a_worker_uses_the_page_on_a_phone() {
    let server = TestServer::start(&[]);
    let driver = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, profile.path(), &[]).await;
    let origin = format!("http://{}", server.addr);
    c.goto(&format!("{origin}/")).await.unwrap();
    wait_js(&c, "the welcome", "document.querySelector('#log .notice')").await;
    shot(&c, "01-welcome").await;
    let width = c.execute("return document.documentElement.scrollWidth;", vec![]).await.unwrap().as_u64().unwrap();
    assert!(width <= WIDTH as u64, "the page is {width} px wide at {WIDTH}");

    // 怎么入会 → an answer naming i会员, with its source.
    ask(&c, "怎么入会").await;
    wait_js(&c, "the answer about joining", "[...document.querySelectorAll('#log .msg.bot .bubble')].some(b => b.innerText.includes('i会员'))").await;
    let source = wait_js(&c, "the source line", "document.querySelector('#log .msg.bot .src') && document.querySelector('#log .msg.bot .src').textContent").await;
    assert!(source.as_str().unwrap().starts_with("来源：《"), "{source}");
    let spoken = wait_js(&c, "the live region", "document.getElementById('live').textContent").await;
    assert!(spoken.as_str().unwrap().contains("i会员"), "the screen reader's region: {spoken}");
    shot(&c, "02-answer").await;

    // Tap a chip: its answer comes.
    let before = bot_count(&c).await;
    let label = wait_js(&c, "a chip", "document.querySelector('#log .chips button') && document.querySelector('#log .chips button').textContent").await;
    c.find(Locator::Css("#log .chips button")).await.unwrap().click().await.unwrap();
    wait_js(&c, "the chip's answer", &format!("document.querySelectorAll('#log .msg.bot').length > {before}")).await;
    let mine = c.execute("const m = document.querySelectorAll('#log .msg.me .bubble'); return m[m.length - 1].textContent;", vec![]).await.unwrap();
    assert_eq!(mine, label, "the tapped chip is shown as what the worker asked");
    shot(&c, "03-chip").await;

    // 📍 with the browser's location set to 怀柔: 富商市场's card, with an Amap link.
    cdp(&c, "Browser.grantPermissions", json!({ "origin": origin, "permissions": ["geolocation"] })).await;
    cdp(&c, "Emulation.setGeolocationOverride", json!({ "latitude": 40.3162, "longitude": 116.6325, "accuracy": 10 })).await;
    c.find(Locator::Css("#locate")).await.unwrap().click().await.unwrap();
    wait_js(&c, "富商市场's card", "[...document.querySelectorAll('#log .card h3')].some(h => h.textContent.includes('富商市场'))").await;
    let amap = wait_js(&c, "an Amap link", "[...document.querySelectorAll('#log .card')].filter(c => c.textContent.includes('富商市场')).map(c => c.querySelector('a.amap') && c.querySelector('a.amap').href)[0]").await;
    let amap = amap.as_str().unwrap();
    assert!(amap.starts_with("https://uri.amap.com/marker?") && amap.contains("coordinate=wgs84"), "{amap}");
    shot(&c, "04-nearby").await;

    // Markup is shown as text, and nothing runs.
    let xss = "<img src=x onerror=alert(1)>";
    let before = bot_count(&c).await;
    ask(&c, xss).await;
    wait_js(&c, "the reply to the markup", &format!("document.querySelectorAll('#log .msg.bot').length > {before}")).await;
    let shown = c.execute("const m = document.querySelectorAll('#log .msg.me .bubble'); return m[m.length - 1].textContent;", vec![]).await.unwrap();
    assert_eq!(shown, json!(xss));
    let imgs = c.execute("return document.querySelectorAll('#log img').length;", vec![]).await.unwrap();
    assert_eq!(imgs, json!(0), "no element was made from the text");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(c.get_alert_text().await.is_err(), "an alert is open: the script ran");
    shot(&c, "05-markup-as-text").await;

    // 👎 on the answer about joining: in feedback.jsonl.
    c.find(Locator::Css("#log .msg.bot .vote-down")).await.unwrap().click().await.unwrap();
    let feedback = server.data_file("feedback.jsonl");
    let deadline = Instant::now() + Duration::from_secs(10);
    let line: Value = loop {
        let text = std::fs::read_to_string(&feedback).unwrap_or_default();
        if let Some(l) = text.lines().next() {
            break serde_json::from_str(l).unwrap();
        }
        assert!(Instant::now() < deadline, "no vote in {}", feedback.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(line["vote"], "down");
    assert_eq!(line["q"], "怎么入会");
    assert!(line["ref"].as_str().unwrap().starts_with("faq_"), "{line}");
    wait_js(&c, "the thanks", "document.querySelector('#log .votes .thanks')").await;
    shot(&c, "06-voted").await;

    // Reload: the conversation is still there (this device only).
    let bubbles = c.execute("return document.querySelectorAll('#log .msg').length;", vec![]).await.unwrap().as_u64().unwrap();
    c.refresh().await.unwrap();
    wait_js(&c, "the kept conversation", &format!("document.querySelectorAll('#log .msg').length === {bubbles}")).await;
    let first = c.execute("return document.querySelector('#log .msg.me .bubble').textContent;", vec![]).await.unwrap();
    assert_eq!(first, json!("怎么入会"));
    let voted = c.execute("return document.querySelector('#log .msg.bot .vote-down').getAttribute('aria-pressed');", vec![]).await.unwrap();
    assert_eq!(voted, json!("true"), "the vote is kept too");
    shot(&c, "07-reloaded").await;

    // Dark mode holds.
    cdp(&c, "Emulation.setEmulatedMedia", json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] })).await;
    let bg = c.execute("return getComputedStyle(document.body).backgroundColor;", vec![]).await.unwrap();
    assert_eq!(bg, json!("rgb(21, 23, 26)"), "dark background");
    shot(&c, "08-dark").await;
    cdp(&c, "Emulation.setEmulatedMedia", json!({ "features": [{ "name": "prefers-color-scheme", "value": "light" }] })).await;

    // Clear it: gone from the page and from the device.
    c.find(Locator::Css("#clear")).await.unwrap().click().await.unwrap();
    wait_js(&c, "the cleared conversation", "document.querySelectorAll('#log .msg.me').length === 0").await;
    let kept = c.execute("return localStorage.getItem('union-bot.conversation.v1');", vec![]).await.unwrap();
    assert_eq!(kept, Value::Null);
    c.refresh().await.unwrap();
    wait_js(&c, "the welcome again", "document.querySelector('#log .notice')").await;
    assert_eq!(c.execute("return document.querySelectorAll('#log .msg.me').length;", vec![]).await.unwrap(), json!(0));
    shot(&c, "09-cleared").await;

    // 320 px wide: nothing sticks out.
    cdp(&c, "Emulation.setDeviceMetricsOverride", json!({ "width": 320, "height": 640, "deviceScaleFactor": 2, "mobile": true })).await;
    ask(&c, "附近有驿站吗").await;
    wait_js(&c, "an answer at 320 px", "document.querySelectorAll('#log .msg.bot').length > 0").await;
    let width = c.execute("return document.documentElement.scrollWidth;", vec![]).await.unwrap().as_u64().unwrap();
    assert!(width <= 320, "the page is {width} px wide at 320");
    shot(&c, "10-320px").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn browser_a_poster_link_opens_on_its_station_and_plain_http_explains_the_location() {
    let server = TestServer::start(&[]);
    let driver = start_driver();
    let profile = tempfile::tempdir().unwrap();
    // union.test is this server by another name: a plain-HTTP page that is
    // not localhost, as a page behind no TLS proxy would be.
    let c = connect(&driver, profile.path(), &["--host-resolver-rules=MAP union.test 127.0.0.1".to_string()]).await;
    c.goto(&format!("http://{}/?station=huairou-fushang", server.addr)).await.unwrap();
    let head = wait_js(&c, "您在：…", "document.querySelector('#log .msg.bot .bubble') && document.querySelector('#log .msg.bot .bubble').firstChild.textContent").await;
    assert_eq!(head, json!("您在：富商市场户外劳动者暖心驿站"));
    wait_js(&c, "its card", "document.querySelector('#log .card[data-station=\"huairou-fushang\"] a.baidu')").await;
    shot(&c, "11-poster-station").await;
    // A station the articles say nothing of its own about beyond its kind's:
    // the card says what stations generally offer, as the Telegram reply does.
    c.goto(&format!("http://{}/?station=wangjing-qiji", server.addr)).await.unwrap();
    let expected = wait_js(&c, "what stations generally offer", "document.querySelector('#log .card[data-station=\"wangjing-qiji\"] .expected') && document.querySelector('#log .card[data-station=\"wangjing-qiji\"] .expected').textContent").await;
    let expected = expected.as_str().unwrap();
    assert!(expected.contains("一般驿站") && expected.contains("歇脚") && expected.contains("12351"), "{expected}");

    c.goto(&format!("http://union.test:{}/", server.addr.port())).await.unwrap();
    wait_js(&c, "the page by another name", "document.querySelector('#log .notice')").await;
    assert_eq!(c.execute("return window.isSecureContext;", vec![]).await.unwrap(), json!(false));
    c.find(Locator::Css("#locate")).await.unwrap().click().await.unwrap();
    let notice = wait_js(&c, "the HTTPS guidance", "[...document.querySelectorAll('#log .notice .bubble')].map(b => b.textContent).find(t => t.includes('https'))").await;
    assert!(notice.as_str().unwrap().contains("我在望京"), "{notice}");
    shot(&c, "12-no-https").await;
    c.close().await.unwrap();
}
