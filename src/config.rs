//! Settings read once at start: where the knowledge and the data live, and
//! (for the Telegram channel) the bot token, which never prints itself.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

/// The default knowledge directory.
pub const DEFAULT_KNOWLEDGE_DIR: &str = "knowledge";
/// The default data directory (index, logs of unanswered questions).
pub const DEFAULT_DATA_DIR: &str = "data";

/// Paths shared by every command.
#[derive(Debug, Clone)]
pub struct Paths {
    pub knowledge: PathBuf,
    pub data: PathBuf,
}

/// A secret string (the bot token): `Debug` and `Display` show only that it is set.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself; call only where it is sent, never where it is logged.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The Telegram channel's settings (`union-bot telegram`), read once at start.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// The bot token from @BotFather (`TELOXIDE_TOKEN`).
    pub token: Secret,
    /// Another Bot API server (`TELOXIDE_API_URL`): a self-hosted one, or a
    /// test server on 127.0.0.1. `None`: Telegram's own.
    pub api_url: Option<url::Url>,
    /// Numeric Telegram user ids of the admins (`ADMIN_IDS`, comma-separated).
    pub admins: BTreeSet<u64>,
    /// Where the webhook server listens (`WEBHOOK_ADDR`); used with `--webhook` only.
    pub webhook_addr: SocketAddr,
    /// The pace sends are held to: Telegram's limits (teloxide's defaults: a
    /// message a second and 20 a minute per chat, 30 a second in all). Not a
    /// setting; a test against the fake server may raise them so as not to
    /// wait out Telegram's minute.
    pub send_limits: teloxide::adaptors::throttle::Limits,
}

/// The default listening address of the webhook server.
pub const DEFAULT_WEBHOOK_ADDR: &str = "0.0.0.0:8443";

impl TelegramConfig {
    /// Reads the settings from the environment (which `.env` has filled in).
    pub fn from_env() -> Result<TelegramConfig> {
        TelegramConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `var` (the environment, or a map in tests).
    /// Every error names the setting; none shows the token.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<TelegramConfig> {
        let set = |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let Some(token) = set("TELOXIDE_TOKEN") else {
            bail!("TELOXIDE_TOKEN is not set: get a bot token from @BotFather and put it in .env or the environment");
        };
        if !looks_like_token(&token) {
            bail!("TELOXIDE_TOKEN does not look like a bot token (digits, a colon, then letters, digits, _ or -)");
        }
        let api_url = match set("TELOXIDE_API_URL") {
            None => None,
            Some(u) => {
                // As teloxide does: no trailing slash, or method paths get "//".
                let url = url::Url::parse(u.trim_end_matches('/')).with_context(|| format!("TELOXIDE_API_URL is not a URL: {u}"))?;
                if !matches!(url.scheme(), "http" | "https") {
                    bail!("TELOXIDE_API_URL must be an http or https URL: {u}");
                }
                Some(url)
            }
        };
        let admins = match set("ADMIN_IDS") {
            None => BTreeSet::new(),
            Some(list) => parse_admin_ids(&list)?,
        };
        let addr = set("WEBHOOK_ADDR").unwrap_or_else(|| DEFAULT_WEBHOOK_ADDR.to_string());
        let webhook_addr = addr.parse().with_context(|| format!("WEBHOOK_ADDR is not an address like 0.0.0.0:8443: {addr}"))?;
        Ok(TelegramConfig { token: Secret::new(token), api_url, admins, webhook_addr, send_limits: Default::default() })
    }
}

/// The web channel's settings (`union-bot web`, `serve`), read once at start.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where the page and the API listen (`WEB_ADDR`).
    pub addr: SocketAddr,
    /// How many proxies in front are trusted to append the client's address
    /// to `X-Forwarded-For` (`TRUST_PROXY`: 0, false or unset = none: the
    /// peer address is the client; true = 1).
    pub trust_proxy: usize,
    /// Requests to the API per client and minute (`WEB_RATE_PER_MINUTE`; 0 = no limit).
    pub rate_per_minute: u32,
    /// How many of those may come at once (`WEB_RATE_BURST`).
    pub rate_burst: u32,
    /// How long a client may take to send a request's headers (`WEB_HEADER_TIMEOUT_SECS`).
    pub header_timeout: std::time::Duration,
    /// How long one request may take, body included (`WEB_REQUEST_TIMEOUT_SECS`).
    pub request_timeout: std::time::Duration,
}

/// The default listening address of the web channel.
pub const DEFAULT_WEB_ADDR: &str = "127.0.0.1:8080";

impl WebConfig {
    pub fn from_env() -> Result<WebConfig> {
        WebConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `var`; every error names the setting.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<WebConfig> {
        let set = |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let addr = set("WEB_ADDR").unwrap_or_else(|| DEFAULT_WEB_ADDR.to_string());
        let addr = addr.parse().with_context(|| format!("WEB_ADDR is not an address like 127.0.0.1:8080: {addr}"))?;
        let trust_proxy = match set("TRUST_PROXY").as_deref() {
            None | Some("0" | "false" | "no" | "off") => 0,
            Some("true" | "yes" | "on") => 1,
            Some(n) => n.parse().with_context(|| format!("TRUST_PROXY must be true, false or the number of proxies in front: {n}"))?,
        };
        let number = |name: &str, default: u64| -> Result<u64> {
            match set(name) {
                None => Ok(default),
                Some(v) => v.parse().with_context(|| format!("{name} is not a whole number: {v}")),
            }
        };
        let secs = |name: &str, default: u64| -> Result<std::time::Duration> {
            let n = number(name, default)?;
            if n == 0 {
                bail!("{name} must be at least 1 second");
            }
            Ok(std::time::Duration::from_secs(n))
        };
        Ok(WebConfig {
            addr,
            trust_proxy,
            rate_per_minute: u32::try_from(number("WEB_RATE_PER_MINUTE", 60)?).context("WEB_RATE_PER_MINUTE is too large")?,
            rate_burst: u32::try_from(number("WEB_RATE_BURST", 20)?).context("WEB_RATE_BURST is too large")?.max(1),
            header_timeout: secs("WEB_HEADER_TIMEOUT_SECS", 10)?,
            request_timeout: secs("WEB_REQUEST_TIMEOUT_SECS", 15)?,
        })
    }
}

/// A bot token is `<bot id>:<secret>`, e.g. `123456789:AAF7-g0gYnc…`.
fn looks_like_token(t: &str) -> bool {
    match t.split_once(':') {
        Some((id, secret)) => {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !secret.is_empty()
                && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
        None => false,
    }
}

/// `ADMIN_IDS`: numeric user ids separated by commas (spaces allowed).
fn parse_admin_ids(list: &str) -> Result<BTreeSet<u64>> {
    let mut out = BTreeSet::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id: u64 = part.parse().with_context(|| format!("ADMIN_IDS: {part:?} is not a numeric Telegram user id"))?;
        out.insert(id);
    }
    Ok(out)
}

/// The log target of the line a server prints once it is ready; shown at the
/// default level, hidden when `RUST_LOG` asks for less.
pub const READY_TARGET: &str = "ready";

/// How many days of lines the journal keeps when `JOURNAL_DAYS` is not set.
pub const DEFAULT_JOURNAL_DAYS: u32 = 90;

/// How many days of journal lines to keep (`JOURNAL_DAYS`, default 90).
pub fn journal_days_from_env() -> Result<u32> {
    journal_days(std::env::var("JOURNAL_DAYS").ok().as_deref())
}

/// `JOURNAL_DAYS`: a whole number of days, 1 or more; unset or empty means
/// the default.
pub fn journal_days(value: Option<&str>) -> Result<u32> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_JOURNAL_DAYS),
        Some(v) => match v.parse::<u32>() {
            Ok(days) if days >= 1 => Ok(days),
            _ => bail!("{}", crate::messages::bad_journal_days(v)),
        },
    }
}

/// Logs go to stderr (stdout carries answers), filtered by `RUST_LOG`
/// (default: warnings and errors, and the one "ready" line of a server).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("warn,{READY_TARGET}=info")));
    // Colours only on a terminal: a log file or journald gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).with_target(false).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<TelegramConfig> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TelegramConfig::from_vars(|k| vars.get(k).cloned())
    }

    #[test]
    fn a_missing_or_empty_token_is_named() {
        for vars in [&[][..], &[("TELOXIDE_TOKEN", "  ")][..]] {
            let e = config(vars).unwrap_err().to_string();
            assert!(e.starts_with("TELOXIDE_TOKEN is not set"), "{e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn a_bad_token_is_refused_without_showing_it() {
        let e = config(&[("TELOXIDE_TOKEN", "not a token")]).unwrap_err().to_string();
        assert!(e.contains("TELOXIDE_TOKEN") && !e.contains("not a token"), "{e}");
    }

    #[test]
    fn reads_every_setting() {
        let c = config(&[("TELOXIDE_TOKEN", "123456:AA-bb_CC"), ("TELOXIDE_API_URL", "http://127.0.0.1:8081/"), ("ADMIN_IDS", "42, 7,,")]).unwrap();
        assert_eq!(c.token.expose(), "123456:AA-bb_CC");
        assert_eq!(c.api_url.unwrap().as_str(), "http://127.0.0.1:8081/");
        assert_eq!(c.admins.into_iter().collect::<Vec<_>>(), vec![7, 42]);
        assert_eq!(c.webhook_addr.to_string(), DEFAULT_WEBHOOK_ADDR);
    }

    #[test]
    fn debug_hides_the_token() {
        let c = config(&[("TELOXIDE_TOKEN", "123456:SECRETSECRET")]).unwrap();
        assert!(!format!("{c:?}").contains("SECRETSECRET"));
    }

    #[test]
    fn journal_days_default_and_refusals() {
        assert_eq!(journal_days(None).unwrap(), 90);
        assert_eq!(journal_days(Some(" ")).unwrap(), 90);
        assert_eq!(journal_days(Some("30")).unwrap(), 30);
        for bad in ["0", "-1", "三十", "1.5"] {
            let e = journal_days(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("JOURNAL_DAYS") && e.contains(bad), "{e}");
        }
    }

    #[test]
    fn web_settings_have_defaults_and_named_errors() {
        let web = |vars: &[(&str, &str)]| {
            let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            WebConfig::from_vars(|k| vars.get(k).cloned())
        };
        let c = web(&[]).unwrap();
        assert_eq!(c.addr.to_string(), DEFAULT_WEB_ADDR);
        assert_eq!((c.trust_proxy, c.rate_per_minute, c.rate_burst), (0, 60, 20));
        assert_eq!(web(&[("TRUST_PROXY", "true")]).unwrap().trust_proxy, 1);
        assert_eq!(web(&[("TRUST_PROXY", "2")]).unwrap().trust_proxy, 2);
        for (k, v) in [("TRUST_PROXY", "maybe"), ("WEB_ADDR", "nowhere"), ("WEB_RATE_PER_MINUTE", "lots"), ("WEB_HEADER_TIMEOUT_SECS", "0")] {
            let e = web(&[(k, v)]).unwrap_err().to_string();
            assert!(e.contains(k), "{e}");
        }
    }

    #[test]
    fn bad_admin_ids_and_urls_are_named() {
        let e = config(&[("TELOXIDE_TOKEN", "1:a"), ("ADMIN_IDS", "42,@bob")]).unwrap_err().to_string();
        assert!(e.contains("ADMIN_IDS") && e.contains("@bob"), "{e}");
        let e = config(&[("TELOXIDE_TOKEN", "1:a"), ("TELOXIDE_API_URL", "ftp://x")]).unwrap_err().to_string();
        assert!(e.contains("TELOXIDE_API_URL"), "{e}");
    }
}
