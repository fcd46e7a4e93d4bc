//! The page and its assets, all in the binary: the HTML template filled with
//! the sentences of [`crate::page_text`] (escaped once, by
//! [`crate::reply::escape_html`]), the script with the same sentences as
//! `window.UB_T` in front of it, the style sheet, and the OpenAPI file.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::{page_text, reply};

const INDEX_TEMPLATE: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
/// The API's description, kept in the repository and served as it is.
pub const OPENAPI: &str = include_str!("assets/openapi.yaml");

/// Only the page's own origin: no inline script or style, no frames, no
/// form posts elsewhere, images from the page or data: URLs.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The assets as served, built once at start.
pub struct Assets {
    pub index: String,
    pub script: String,
}

impl Assets {
    pub fn build() -> Assets {
        let mut index = INDEX_TEMPLATE.to_string();
        for (k, v) in page_text::PAGE {
            index = index.replace(&format!("{{{{{k}}}}}"), &reply::escape_html(v));
        }
        let strings: serde_json::Map<String, serde_json::Value> = page_text::PAGE.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
        // serde_json escapes what would end a string; "</" cannot occur in a JS file's meaning here.
        let script = format!("window.UB_T = {};\n{APP_JS}", serde_json::Value::Object(strings));
        Assets { index, script }
    }
}

fn asset(content_type: &'static str, cache: &'static str, body: impl IntoResponse) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

pub fn index(a: &Assets) -> Response {
    asset("text/html; charset=utf-8", "no-cache", a.index.clone())
}

pub fn script(a: &Assets) -> Response {
    asset("text/javascript; charset=utf-8", "no-cache", a.script.clone())
}

pub fn style() -> Response {
    asset("text/css; charset=utf-8", "no-cache", APP_CSS)
}

pub fn openapi() -> Response {
    asset("application/yaml; charset=utf-8", "no-cache", OPENAPI)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_and_the_page_is_small() {
        let a = Assets::build();
        assert!(!a.index.contains("{{"), "unfilled placeholder in {}", a.index);
        assert!(a.index.contains("工会小助手"));
        let total = a.index.len() + a.script.len() + APP_CSS.len();
        assert!(total < 48 * 1024, "the page weighs {total} bytes");
        // No Chinese text in the assets themselves: it all comes from page_text.
        for (name, text) in [("index.html", INDEX_TEMPLATE), ("app.js", APP_JS), ("app.css", APP_CSS)] {
            assert!(!text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{name} has Chinese text of its own");
        }
    }

    #[test]
    fn the_template_names_only_known_sentences() {
        let mut rest = INDEX_TEMPLATE;
        while let Some(i) = rest.find("{{") {
            let j = rest[i..].find("}}").expect("closed placeholder") + i;
            let key = &rest[i + 2..j];
            assert!(page_text::PAGE.iter().any(|(k, _)| *k == key), "unknown key {key}");
            rest = &rest[j + 2..];
        }
        for key in ["welcome", "geo_insecure", "geo_denied", "you_are_at", "amap", "baidu", "thanks"] {
            assert!(APP_JS.contains(&format!("'{key}'")), "app.js does not use {key}");
        }
    }
}
