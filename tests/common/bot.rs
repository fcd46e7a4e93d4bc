//! The bot serving in this test process against its own fake Bot API server
//! (`fake_telegram`): the real dispatcher, engine and knowledge, started the
//! way `union-bot telegram` starts it. `tests/telegram.rs` and
//! `tests/faults.rs` both use it.

use std::path::PathBuf;
use std::time::Duration;

use union_bot::config::{Paths, TelegramConfig};

use super::fake_telegram::{self as tg, FakeTelegram};

/// The admin (`ADMIN_IDS`), who has opened the bot before.
pub const ADMIN: i64 = 4242;

/// A bot serving in this process against its own fake server.
pub struct TestBot {
    pub fake: FakeTelegram,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    polling: bool,
    _data: tempfile::TempDir,
}

/// Starts the bot on `knowledge` (data in a new temporary directory); with
/// `webhook` (a free local port), by webhook on that port, else by long
/// polling. Waits until it is serving.
pub async fn spawn_bot(knowledge: PathBuf, webhook: Option<u16>) -> TestBot {
    spawn_bot_paced(knowledge, webhook, None).await
}

/// [`spawn_bot`], its sends held to `limits` instead of Telegram's.
pub async fn spawn_bot_paced(knowledge: PathBuf, webhook: Option<u16>, limits: Option<teloxide::adaptors::throttle::Limits>) -> TestBot {
    let fake = FakeTelegram::start().await;
    fake.know_chat(&tg::private_chat(ADMIN, "管理员"));
    let data = tempfile::tempdir().expect("temp dir");
    let paths = Paths { knowledge, data: data.path().to_path_buf() };
    let url = fake.url.clone();
    let mut config = TelegramConfig::from_vars(|k| match k {
        "TELOXIDE_TOKEN" => Some(tg::TOKEN.to_string()),
        "TELOXIDE_API_URL" => Some(url.clone()),
        "ADMIN_IDS" => Some(ADMIN.to_string()),
        "WEBHOOK_ADDR" => webhook.map(|port| format!("127.0.0.1:{port}")),
        _ => None,
    })
    .expect("config");
    if let Some(limits) = limits {
        config.send_limits = limits;
    }
    let webhook_url = webhook.map(|port| url::Url::parse(&format!("http://127.0.0.1:{port}/telegram/hook")).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(union_bot::telegram::run(paths, config, webhook_url, async move {
        let _ = stopped.await;
    }));
    let ready = if webhook.is_some() { "setWebhook" } else { "getUpdates" };
    fake.wait_for(&format!("the first {ready}"), Duration::from_secs(60), |calls| calls.iter().any(|c| c.method == ready)).await;
    TestBot { fake, stop, task, polling: webhook.is_none(), _data: data }
}

impl TestBot {
    /// The bot's data directory (its journal).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data.path()
    }

    /// Stops the bot as SIGTERM would, once it has received every update,
    /// and checks that it stopped without an error.
    pub async fn stop_after_faults(self) -> FakeTelegram {
        self.fake.wait_until_received().await;
        let _ = self.stop.send(());
        let result = tokio::time::timeout(Duration::from_secs(15), self.task).await.expect("the bot stops within 15 s");
        result.expect("the bot task did not panic").expect("the bot stopped without an error");
        self.fake
    }

    /// [`TestBot::stop_after_faults`], then checks what a bot facing no
    /// fault must do: acknowledge the last update as it stops (or delete its
    /// webhook), answer every button press, and send nothing Telegram would
    /// refuse.
    pub async fn stop(self) -> FakeTelegram {
        let polling = self.polling;
        let fake = self.stop_after_faults().await;
        if polling {
            assert!(fake.acknowledged_on_stop(), "the bot did not acknowledge the last update as it stopped");
        } else {
            assert!(fake.calls().iter().any(|c| c.method == "deleteWebhook"), "the webhook is deleted on stop");
        }
        assert!(fake.unanswered_callbacks().is_empty(), "unanswered callback queries: {:?}", fake.unanswered_callbacks());
        let refused = fake.refused();
        assert!(refused.is_empty(), "Telegram would have refused: {refused:#?}");
        fake
    }
}
