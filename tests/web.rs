//! The web channel: the real server on a random port over the real knowledge
//! (index built on disk in a temporary data directory), every route and every
//! error code, the OpenAPI file against real responses, the rate limit and
//! `TRUST_PROXY`, the page's headers; and the real binary: no IP address in
//! its log, SIGTERM finishing a request in flight.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use union_bot::config::{Paths, WebConfig};
use union_bot::reload::Live;
use union_bot::shared::Shared;

use crate::common::{bin, knowledge_dir};

/// A web channel serving in this process on 127.0.0.1:<random port>.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Serves the real knowledge with `settings` (as the environment would give them).
    pub fn start(settings: &[(&str, &str)]) -> TestServer {
        let data = tempfile::tempdir().expect("temp dir");
        let paths = Paths { knowledge: knowledge_dir(), data: data.path().to_path_buf() };
        let vars: HashMap<String, String> = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let config = WebConfig::from_vars(|k| vars.get(k).cloned()).expect("web settings");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let live = Live::open(paths).expect("the knowledge loads");
        let shared = Shared::from_live(std::sync::Arc::new(live)).expect("journal");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                union_bot::web::serve_on(listener, shared, config, async move {
                    let _ = stopped.await;
                })
                .await
                .expect("the server serves");
            });
        });
        TestServer { addr, data, stop: Some(stop), thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn data_file(&self, name: &str) -> PathBuf {
        self.data.path().join(name)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

async fn post_json(s: &TestServer, path: &str, body: &Value) -> reqwest::Response {
    client().post(s.url(path)).json(body).send().await.expect("request")
}

async fn get(s: &TestServer, path: &str) -> reqwest::Response {
    client().get(s.url(path)).send().await.expect("request")
}

/// Checks an error response: its status, JSON, stable code and a message.
async fn assert_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "status for {code}");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "JSON for {code}");
    let v: Value = r.json().await.expect("an error is JSON");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    v
}

#[tokio::test]
async fn web_ask_gives_the_fields_of_ask_json_and_more() {
    let s = TestServer::start(&[]);
    let r = post_json(&s, "/api/v1/ask", &json!({"q": "怎么入会"})).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    // The same fields, with the same values, as `union-bot ask --json`.
    let engine = crate::common::engine();
    let a = engine.answer("怎么入会");
    let cli = serde_json::to_value(union_bot::cli::AnswerJson::new(Some("怎么入会"), &a)).unwrap();
    for (k, expected) in cli.as_object().unwrap() {
        assert_eq!(&v[k], expected, "field {k}");
    }
    assert!(v["answer"].as_str().unwrap().contains("i会员"), "{v}");
    assert_eq!(v["ref"], v["intent"]);
    assert_eq!(v["context"], v["ref"]);
    assert_eq!(v["feedback_key"].as_str().unwrap().len(), 16);
    assert!(v["display"]["source"].as_str().unwrap().starts_with("来源：《"), "{v}");
    assert!(!v["display"]["text"].as_str().unwrap().contains("来源："), "the source line is shown once: {v}");
    assert_eq!(v["context"], "faq_join-how", "the answer's own reference: {v}");
    // A question sent with the previous answer's context is answered.
    let again: Value = post_json(&s, "/api/v1/ask", &json!({"q": "怎么入会", "context": v["context"]})).await.json().await.unwrap();
    assert_eq!(again["intent"], v["intent"]);
    // No context, null or "": the same.
    for context in [json!(null), json!("")] {
        let r = post_json(&s, "/api/v1/ask", &json!({"q": "怎么入会", "context": context})).await;
        assert_eq!(r.status(), 200, "context {context}");
    }
    // A fallback is about nothing a follow-up could be asked of: no context.
    let fb: Value = post_json(&s, "/api/v1/ask", &json!({"q": "火星上今天下雨吗"})).await.json().await.unwrap();
    assert_eq!(fb["ref"], "fallback", "{fb}");
    assert!(fb["context"].is_null(), "{fb}");
}

#[tokio::test]
async fn web_every_error_has_its_status_and_code() {
    let s = TestServer::start(&[]);
    let c = client();
    let ask = s.url("/api/v1/ask");
    let send = |body: &'static str, ct: &'static str| c.post(&ask).header("content-type", ct).body(body).send();
    assert_error(send("{not json", "application/json").await.unwrap(), 400, "bad_json").await;
    assert_error(send("[1,2]", "application/json").await.unwrap(), 400, "bad_json").await;
    assert_error(send(r#"{"q": 5}"#, "application/json").await.unwrap(), 400, "bad_json").await;
    assert_error(send("{}", "application/json").await.unwrap(), 400, "no_question").await;
    assert_error(send(r#"{"q": "   "}"#, "application/json").await.unwrap(), 400, "no_question").await;
    assert_error(send(r#"{"q": "怎么入会"}"#, "text/plain").await.unwrap(), 415, "unsupported_media_type").await;
    // A context that is no reference's text form.
    for bad in [r#"{"q": "怎么入会", "context": "nonsense"}"#, r#"{"q": "怎么入会", "context": "faq_../etc"}"#, r#"{"q": "怎么入会", "context": 5}"#, r#"{"q": "怎么入会", "context": {"ref": "faq_join-how"}}"#] {
        assert_error(send(bad, "application/json").await.unwrap(), 400, "bad_context").await;
    }
    let big = json!({ "q": "字".repeat(6000) }).to_string();
    assert!(big.len() > 16 * 1024);
    assert_error(c.post(&ask).header("content-type", "application/json").body(big).send().await.unwrap(), 413, "too_large").await;
    // Just under the limit: answered (the engine reads the start).
    let under = json!({ "q": format!("怎么入会{}", "啊".repeat(5000)) }).to_string();
    assert!(under.len() < 16 * 1024);
    assert_eq!(c.post(&ask).header("content-type", "application/json").body(under).send().await.unwrap().status(), 200);
    assert_error(get(&s, "/api/v1/ask").await, 405, "method_not_allowed").await;
    assert_error(get(&s, "/api/v1/nowhere").await, 404, "not_found").await;
    assert_error(get(&s, "/api/v1/nearby").await, 400, "bad_location").await;
    assert_error(get(&s, "/api/v1/nearby?lat=abc&lon=116.4").await, 400, "bad_location").await;
    assert_error(get(&s, "/api/v1/nearby?lat=95&lon=116.4").await, 400, "bad_location").await;
    assert_error(get(&s, "/api/v1/answer/f:no-such-entry").await, 404, "unknown_ref").await;
    assert_error(get(&s, "/api/v1/answer/nonsense").await, 404, "unknown_ref").await;
    assert_error(post_json(&s, "/api/v1/feedback", &json!({"key": "x", "vote": "sideways"})).await, 400, "bad_vote").await;
    assert_error(post_json(&s, "/api/v1/feedback", &json!({"key": "0000000000000000", "vote": "up"})).await, 404, "unknown_key").await;
}

#[tokio::test]
async fn web_nearby_and_tapped_choices() {
    let s = TestServer::start(&[]);
    let v: Value = get(&s, "/api/v1/nearby?lat=40.3162&lon=116.6325").await.json().await.unwrap();
    assert_eq!(v["kind"], "nearby");
    let card = v["cards"].as_array().unwrap().iter().find(|c| c["name"].as_str().unwrap().contains("富商市场")).expect("富商市场's card");
    assert!(card["amap"].as_str().unwrap().starts_with("https://uri.amap.com/") && card["amap"].as_str().unwrap().contains("coordinate=wgs84"), "{card}");
    assert!(card["baidu"].as_str().unwrap().contains("coord_type=wgs84"), "{card}");
    assert!(!card["distance"].as_str().unwrap().is_empty());
    // Shanghai: no station, said so.
    let sh: Value = get(&s, "/api/v1/nearby?lat=31.23&lon=121.47").await.json().await.unwrap();
    assert_eq!(sh["kind"], "outside_beijing");
    assert!(sh["cards"].as_array().unwrap().is_empty());
    // A fallback offers chips; tapping one answers it.
    let fb: Value = post_json(&s, "/api/v1/ask", &json!({"q": "怎么考公务员"})).await.json().await.unwrap();
    assert_eq!(fb["ref"], "fallback", "{fb}");
    let chip = &fb["chips"][0];
    assert!(chip["key"].is_string(), "{fb}");
    let key = chip["key"].as_str().unwrap();
    let tapped: Value = get(&s, &format!("/api/v1/answer/{key}")).await.json().await.unwrap();
    assert!(tapped["confident"].as_bool().unwrap(), "{tapped}");
    // An intent works as a reference too, and a station opens its card.
    let by_intent = get(&s, &format!("/api/v1/answer/{}", tapped["intent"].as_str().unwrap())).await;
    assert_eq!(by_intent.status(), 200);
    let station: Value = get(&s, "/api/v1/answer/s:huairou-fushang").await.json().await.unwrap();
    assert_eq!(station["cards"][0]["id"], "huairou-fushang", "{station}");
    // A card carries what stations of its kind generally offer, as the station does.
    let general: Value = get(&s, "/api/v1/answer/station_wangjing-qiji").await.json().await.unwrap();
    assert_eq!(general["cards"][0]["expected_services"], json!(["歇脚", "饮水", "如厕", "充电"]), "{general}");
    assert_eq!(general["cards"][0]["expected_services"], general["stations"][0]["expected_services"]);
}

#[tokio::test]
async fn web_a_vote_lands_in_feedback_jsonl_without_who() {
    let s = TestServer::start(&[]);
    let a: Value = post_json(&s, "/api/v1/ask", &json!({"q": "怎么入会"})).await.json().await.unwrap();
    let r = post_json(&s, "/api/v1/feedback", &json!({"key": a["feedback_key"], "vote": "down"})).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"recorded": true, "ref": a["ref"], "vote": "down"}));
    // A key is good for one vote.
    assert_error(post_json(&s, "/api/v1/feedback", &json!({"key": a["feedback_key"], "vote": "down"})).await, 404, "unknown_key").await;
    // An old key with the answer's ref: counted, without the question.
    let up = post_json(&s, "/api/v1/feedback", &json!({"key": "ffffffffffffffff", "ref": a["ref"], "vote": "up"})).await;
    assert_eq!(up.status(), 200);
    let text = std::fs::read_to_string(s.data_file("feedback.jsonl")).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["vote"], "down");
    assert_eq!(lines[0]["ref"], a["ref"]);
    assert_eq!(lines[0]["q"], "怎么入会");
    assert_eq!(lines[0]["via"], "web");
    assert_eq!(lines[1]["vote"], "up");
    assert!(lines[1].get("q").is_none(), "no question kept for a 👍: {text}");
    for l in &lines {
        let keys: BTreeSet<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(keys.is_subset(&["t", "ref", "vote", "q", "via"].into_iter().collect()), "{keys:?}");
    }
    assert!(!text.contains("127.0.0.1"));
    // The report shows it.
    let journal = union_bot::journal::Journal::open(s.data.path()).unwrap();
    let report = journal.feedback_report(10);
    assert!(report.contains(a["ref"].as_str().unwrap()) && report.contains("问：怎么入会"), "{report}");
}

#[tokio::test]
async fn web_health_readiness_and_metrics() {
    let s = TestServer::start(&[("WEB_RATE_PER_MINUTE", "60"), ("WEB_RATE_BURST", "2")]);
    let h: Value = get(&s, "/healthz").await.json().await.unwrap();
    assert_eq!(h, json!({"status": "ok"}));
    let r: Value = get(&s, "/readyz").await.json().await.unwrap();
    assert_eq!(r["status"], "ready");
    assert!(r["knowledge"]["faq"].as_u64().unwrap() > 10, "{r}");
    for _ in 0..3 {
        post_json(&s, "/api/v1/ask", &json!({"q": "怎么考公务员"})).await;
    }
    let m = get(&s, "/metrics").await;
    assert!(m.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = m.text().await.unwrap();
    for needle in [
        "union_bot_http_requests_total{route=\"/api/v1/ask\",status=\"200\"} 2",
        "union_bot_http_requests_total{route=\"/api/v1/ask\",status=\"429\"} 1",
        "union_bot_http_requests_total{route=\"/readyz\",status=\"200\"} 1",
        "union_bot_answer_seconds_count 2",
        "union_bot_answer_seconds_bucket{le=\"+Inf\"} 2",
        "union_bot_fallbacks_total 2",
        "union_bot_rate_limited_total 1",
        "union_bot_reloads_total{outcome=\"reloaded\"} 0",
        "union_bot_knowledge_info{version=",
        "union_bot_knowledge_items{kind=\"faq\"}",
    ] {
        assert!(text.contains(needle), "{needle} not in\n{text}");
    }
}

#[tokio::test]
async fn web_rate_limit_is_per_client_and_forwarded_for_counts_only_when_trusted() {
    // Not trusted: X-Forwarded-For is ignored, every request is the same client.
    let s = TestServer::start(&[("WEB_RATE_PER_MINUTE", "60"), ("WEB_RATE_BURST", "3")]);
    let c = client();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let r = c.get(s.url("/api/v1/nearby?lat=39.9&lon=116.4")).header("x-forwarded-for", format!("198.51.100.{i}")).send().await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait), "Retry-After {wait}");
            assert_error(r, 429, "rate_limited").await;
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    // The page and the health checks are not limited.
    assert_eq!(get(&s, "/").await.status(), 200);
    assert_eq!(get(&s, "/healthz").await.status(), 200);
    drop(s);

    // One trusted proxy: each forwarded client has its own allowance.
    let s = TestServer::start(&[("WEB_RATE_PER_MINUTE", "60"), ("WEB_RATE_BURST", "3"), ("TRUST_PROXY", "1")]);
    for i in 0..6 {
        let r = c.get(s.url("/api/v1/nearby?lat=39.9&lon=116.4")).header("x-forwarded-for", format!("6.6.6.6, 198.51.100.{i}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "client {i}");
    }
    let mut last = 0;
    for _ in 0..4 {
        last = c.get(s.url("/api/v1/nearby?lat=39.9&lon=116.4")).header("x-forwarded-for", "198.51.100.200").send().await.unwrap().status().as_u16();
    }
    assert_eq!(last, 429, "one forwarded client is still limited");
}

#[tokio::test]
async fn web_the_page_is_served_with_strict_headers() {
    let s = TestServer::start(&[]);
    let r = get(&s, "/").await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["content-security-policy"].to_str().unwrap(), union_bot::web::CSP);
    assert!(!union_bot::web::CSP.contains("unsafe"), "no unsafe-inline/eval");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>工会小助手</title>") && html.contains("tel:12351"), "{html}");
    assert!(!html.contains("<script>") && !html.contains("style="), "no inline script or style");
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing from another origin");
    let js = get(&s, "/app.js").await;
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    let js = js.text().await.unwrap();
    assert!(js.starts_with("window.UB_T = {") && !js.contains("innerHTML"), "strings first, no innerHTML");
    let css = get(&s, "/app.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let total = html.len() + js.len() + css.text().await.unwrap().len();
    assert!(total < 48 * 1024, "the page weighs {total} bytes");
    // JSON responses carry the same headers.
    let j = get(&s, "/healthz").await;
    assert_eq!(j.headers()["x-content-type-options"], "nosniff");
}

/// Walks a response against a schema of the OpenAPI file: every required
/// property must be in the response, every optional one is noted when
/// present (recursing into objects and the items of arrays). `seen` gets the
/// schemas checked and the optional properties met (`Schema.property`).
fn check_schema(doc: &serde_yaml::Value, schema: &serde_yaml::Value, name: &str, v: &Value, at: &str, seen: &mut BTreeSet<String>) {
    if let Some(r) = schema.get("$ref").and_then(|r| r.as_str()) {
        let name = r.trim_start_matches("#/components/schemas/");
        seen.insert(name.to_string());
        let target = &doc["components"]["schemas"][name];
        assert!(!target.is_null(), "{r} is not defined");
        return check_schema(doc, target, name, v, at, seen);
    }
    if let Some(props) = schema.get("properties").and_then(|p| p.as_mapping()) {
        let obj = v.as_object().unwrap_or_else(|| panic!("{at}: expected an object, got {v}"));
        let required: Vec<&str> = schema.get("required").and_then(|r| r.as_sequence()).map(|r| r.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
        for (k, sub) in props {
            let k = k.as_str().unwrap();
            match obj.get(k) {
                None => assert!(!required.contains(&k), "{at}.{k} is documented as required but not in the response {v}"),
                Some(field) => {
                    if !required.contains(&k) {
                        seen.insert(format!("{name}.{k}"));
                    }
                    if !field.is_null() {
                        check_schema(doc, sub, &format!("{name}.{k}"), field, &format!("{at}.{k}"), seen);
                    }
                }
            }
        }
        for k in obj.keys() {
            assert!(props.contains_key(k.as_str()), "{at}.{k} is in the response but not documented");
        }
    }
    if let Some(items) = schema.get("items")
        && let Some(arr) = v.as_array()
    {
        for (i, item) in arr.iter().enumerate() {
            check_schema(doc, items, name, item, &format!("{at}[{i}]"), seen);
        }
    }
}

fn response_schema<'a>(doc: &'a serde_yaml::Value, path: &str, method: &str, status: &str) -> &'a serde_yaml::Value {
    let mut r = &doc["paths"][path][method]["responses"][status];
    if let Some(name) = r.get("$ref").and_then(|x| x.as_str()) {
        r = &doc["components"]["responses"][name.trim_start_matches("#/components/responses/")];
    }
    let s = &r["content"]["application/json"]["schema"];
    assert!(!s.is_null(), "{method} {path} {status} has no JSON schema");
    s
}

#[tokio::test]
async fn web_every_documented_field_is_in_the_real_responses() {
    let s = TestServer::start(&[("WEB_RATE_PER_MINUTE", "600"), ("WEB_RATE_BURST", "40")]);
    let served = get(&s, "/api/v1/openapi.yaml").await;
    assert!(served.headers()["content-type"].to_str().unwrap().starts_with("application/yaml"));
    let text = served.text().await.unwrap();
    assert_eq!(text, union_bot::web::OPENAPI);
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("the OpenAPI file is YAML");
    assert_eq!(doc["openapi"].as_str().unwrap(), "3.0.3");
    let documented: BTreeSet<String> = doc["paths"].as_mapping().unwrap().keys().map(|k| k.as_str().unwrap().to_string()).collect();
    let expected: BTreeSet<String> =
        ["/api/v1/ask", "/api/v1/nearby", "/api/v1/answer/{ref}", "/api/v1/feedback", "/api/v1/openapi.yaml", "/healthz", "/readyz", "/metrics"].iter().map(|s| s.to_string()).collect();
    assert_eq!(documented, expected);

    let mut seen = BTreeSet::new();
    let mut check = |path: &str, method: &str, status: &str, v: &Value| check_schema(&doc, response_schema(&doc, path, method, status), "-", v, &format!("{method} {path} {status}"), &mut seen);
    // An answer with sources and chips, one with station cards, a tapped one.
    let ask: Value = post_json(&s, "/api/v1/ask", &json!({"q": "怎么入会"})).await.json().await.unwrap();
    check("/api/v1/ask", "post", "200", &ask);
    let fallback: Value = post_json(&s, "/api/v1/ask", &json!({"q": "怎么考公务员"})).await.json().await.unwrap();
    check("/api/v1/ask", "post", "200", &fallback);
    let near: Value = get(&s, "/api/v1/nearby?lat=40.3162&lon=116.6325").await.json().await.unwrap();
    assert!(!near["stations"].as_array().unwrap().is_empty());
    check("/api/v1/nearby", "get", "200", &near);
    let tapped: Value = get(&s, &format!("/api/v1/answer/{}", fallback["chips"][0]["key"].as_str().unwrap())).await.json().await.unwrap();
    check("/api/v1/answer/{ref}", "get", "200", &tapped);
    let fb: Value = post_json(&s, "/api/v1/feedback", &json!({"key": ask["feedback_key"], "vote": "up"})).await.json().await.unwrap();
    check("/api/v1/feedback", "post", "200", &fb);
    let ready: Value = get(&s, "/readyz").await.json().await.unwrap();
    check("/readyz", "get", "200", &ready);
    let health: Value = get(&s, "/healthz").await.json().await.unwrap();
    check("/healthz", "get", "200", &health);
    // The documented errors, each with its code.
    for (path, method, status, r) in [
        ("/api/v1/ask", "post", "400", post_json(&s, "/api/v1/ask", &json!({})).await),
        ("/api/v1/ask", "post", "400", post_json(&s, "/api/v1/ask", &json!({"q": "怎么入会", "context": "nonsense"})).await),
        ("/api/v1/nearby", "get", "400", get(&s, "/api/v1/nearby?lat=x").await),
        ("/api/v1/answer/{ref}", "get", "404", get(&s, "/api/v1/answer/f:nope").await),
        ("/api/v1/feedback", "post", "404", post_json(&s, "/api/v1/feedback", &json!({"vote": "up"})).await),
    ] {
        let v: Value = r.json().await.unwrap();
        check(path, method, status, &v);
        let codes: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"].as_sequence().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert!(codes.contains(&v["error"]["code"].as_str().unwrap()), "{v}: code not documented");
    }
    for name in ["Answer", "Source", "Station", "Display", "Chip", "Card", "FeedbackRecorded", "Ready", "Error"] {
        assert!(seen.contains(name), "schema {name} was never checked against a response ({seen:?})");
    }
    // Every optional field of a response was met at least once.
    for (schema, body) in doc["components"]["schemas"].as_mapping().unwrap() {
        let schema = schema.as_str().unwrap();
        if schema.ends_with("Request") {
            continue;
        }
        let required: Vec<&str> = body.get("required").and_then(|r| r.as_sequence()).map(|r| r.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
        for (k, _) in body.get("properties").and_then(|p| p.as_mapping()).into_iter().flatten() {
            let k = k.as_str().unwrap();
            assert!(required.contains(&k) || seen.contains(&format!("{schema}.{k}")), "{schema}.{k} is documented but never in a response");
        }
    }
}

/// A free port on 127.0.0.1 (bound, then released for the binary to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_health(port: u16, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited early: {status}");
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sigterm(child: &std::process::Child) {
    let ok = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap().success();
    assert!(ok, "kill -TERM failed");
}

fn spawn_binary(command: &str, port: u16, data: &Path, extra: &[(&str, &str)]) -> std::process::Child {
    let mut c = bin();
    c.arg(command)
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .env("DATA_DIR", data)
        .env("WEB_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in extra {
        c.env(k, v);
    }
    c.spawn().expect("the binary starts")
}

#[test]
fn web_binary_logs_no_address_and_sigterm_finishes_the_request_in_flight() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_binary("web", port, data.path(), &[("TRUST_PROXY", "1")]);
    wait_for_health(port, &mut child);
    // A forwarded client with a distinctive address asks, and votes 👎.
    let ask = |q: &str| -> String {
        let body = json!({ "q": q }).to_string();
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.77\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let out = ask("怎么考公务员");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let body: Value = serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let vote = json!({ "key": body["feedback_key"], "vote": "down" }).to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "POST /api/v1/feedback HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.77\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{vote}", vote.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");

    // A request in flight: headers and half the body sent, then SIGTERM.
    let body = json!({ "q": "怎么入会" }).to_string();
    let (head, tail) = body.split_at(body.find('怎').unwrap());
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(slow, "POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}", body.len()).unwrap();
    slow.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    sigterm(&child);
    std::thread::sleep(Duration::from_millis(500));
    // New connections are refused once stopping…
    // …and the request in flight is answered.
    slow.write_all(tail.as_bytes()).unwrap();
    let mut out = String::new();
    slow.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "the request in flight was not answered: {out}");
    assert!(out.contains("i会员"), "{out}");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(signalled.elapsed() < Duration::from_secs(10), "still running 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(log.contains("request"), "one line per request at RUST_LOG=info: {log}");
    for file in ["events.jsonl", "unanswered.jsonl", "feedback.jsonl"] {
        let text = std::fs::read_to_string(data.path().join(file)).unwrap();
        assert!(!text.contains("203.0.113.77"), "{file}: {text}");
        assert!(!text.is_empty(), "{file} is empty");
    }
    assert!(!log.contains("203.0.113.77"), "the client's address is in the log:\n{log}");
    assert!(!log.contains("怎么考公务员"), "a question is in the log:\n{log}");
}

#[test]
fn web_serve_needs_a_channel_and_runs_the_web_alone() {
    let out = bin().arg("serve").env_remove("WEB_ADDR").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("WEB_ADDR") && err.contains("TELOXIDE_TOKEN"), "{err}");

    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_binary("serve", port, data.path(), &[]);
    wait_for_health(port, &mut child);
    let signalled = Instant::now();
    sigterm(&child);
    let status = child.wait().unwrap();
    assert!(status.success() && signalled.elapsed() < Duration::from_secs(10), "{status}");
}

#[test]
fn web_qr_writes_an_svg_and_a_png_for_a_station() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fushang");
    let r = bin().args(["qr", "https://bot.example.org/", "--station", "huairou-fushang", "--out"]).arg(&out).env("KNOWLEDGE_DIR", knowledge_dir()).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).contains("https://bot.example.org/?station=huairou-fushang"));
    assert!(std::fs::read_to_string(out.with_extension("svg")).unwrap().contains("<svg"));
    assert_eq!(&std::fs::read(out.with_extension("png")).unwrap()[1..4], b"PNG");
    let r = bin().args(["qr", "https://bot.example.org/", "--station", "no-such", "--out"]).arg(&out).env("KNOWLEDGE_DIR", knowledge_dir()).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no station no-such"));
}
