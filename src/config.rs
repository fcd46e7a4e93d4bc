//! Settings read once at start: where the knowledge and the data live, and
//! (for the Telegram channel) the bot token, which never prints itself.

use std::fmt;
use std::path::PathBuf;

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

/// Logs go to stderr (stdout carries answers), filtered by `RUST_LOG`
/// (default: warnings and errors only).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}
