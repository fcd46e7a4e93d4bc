//! Admin commands (`/reload`, `/stats`, `/unanswered`), the chat-scoped
//! command menus, and the reports sent to the admins when the watcher refuses
//! an edit of the knowledge.
//!
//! An admin is a user id listed in `ADMIN_IDS`, writing in a private chat in
//! their own name. Anonymous group admins and messages sent on behalf of a
//! chat carry no user id we can check, so they are refused like everyone else.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};

use super::send::{Target, send_plain};
use super::trace::Handled;
use super::{AdminCommand, Ctx, TgBot};
use crate::reload::{self, Outcome};
use crate::reply;

/// How many groups of unanswered questions `/unanswered` lists.
const UNANSWERED_LIMIT: usize = 20;
/// How many answers with the most 👎 `/stats` lists.
const FEEDBACK_LIMIT: usize = 10;

/// Whether a message comes from an admin, in a private chat, in their own name.
pub fn is_admin(msg: &Message, admins: &BTreeSet<u64>) -> bool {
    msg.chat.is_private()
        && msg.sender_chat.is_none()
        && msg.from.as_ref().is_some_and(|u| !u.is_bot && admins.contains(&u.id.0))
}

/// Runs an admin command, or says it is not available.
pub async fn command(bot: &TgBot, msg: &Message, ctx: &Arc<Ctx>, cmd: AdminCommand) -> Result<Handled> {
    if !is_admin(msg, &ctx.admins) {
        send_plain(bot, Target::of(msg), reply::not_available(), None).await?;
        return Ok(Handled::new("admin", "refused"));
    }
    let (intent, report) = match cmd {
        AdminCommand::Reload => {
            let live = Arc::clone(&ctx.live);
            let outcome = tokio::task::spawn_blocking(move || live.reload(true)).await.context("the reload task failed")?;
            tracing::info!("/reload: {}", reload::describe(&outcome));
            ("reload", reply::reload_report(&outcome))
        }
        AdminCommand::Stats => {
            let journal = Arc::clone(&ctx.journal);
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let report = move || format!("{}\n\n{}", journal.stats_report(now), journal.feedback_report(FEEDBACK_LIMIT));
            ("stats", tokio::task::spawn_blocking(report).await.context("the stats task failed")?)
        }
        AdminCommand::Unanswered => {
            let journal = Arc::clone(&ctx.journal);
            ("unanswered", tokio::task::spawn_blocking(move || journal.unanswered_report(UNANSWERED_LIMIT)).await.context("the report task failed")?)
        }
    };
    send_report(bot, msg.chat.id, &report).await?;
    Ok(Handled::new("admin", intent))
}

/// Sends a report as plain text (it quotes file names and problems verbatim,
/// so no HTML), in as many messages as it takes.
pub async fn send_report(bot: &TgBot, chat: ChatId, text: &str) -> Result<()> {
    for part in split_plain(text, reply::TELEGRAM_LIMIT - 96) {
        bot.send_message(chat, part).await?;
    }
    Ok(())
}

/// Splits plain text into parts of at most `limit` UTF-16 units, at line
/// breaks when it can.
fn split_plain(text: &str, limit: usize) -> Vec<String> {
    let text = if text.trim().is_empty() { "-" } else { text };
    let mut parts = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let mut line = line;
        // A single line longer than the limit is cut at character boundaries.
        while reply::telegram_len(line) > limit {
            let mut cut = 0;
            let mut units = 0;
            for (i, c) in line.char_indices() {
                units += c.len_utf16();
                if units > limit {
                    break;
                }
                cut = i + c.len_utf8();
            }
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            parts.push(line[..cut].to_string());
            line = &line[cut..];
        }
        if !cur.is_empty() && reply::telegram_len(&cur) + 1 + reply::telegram_len(line) > limit {
            parts.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(line);
    }
    if !cur.trim().is_empty() {
        parts.push(cur);
    }
    parts
}

/// The command menus: the public commands for everyone, and the public plus
/// the admin commands in each admin's private chat. A failure is logged, not
/// fatal. An admin who has not opened the bot yet has no chat to scope a menu
/// to ("chat not found"): that is the normal state before their first
/// /start, not an error; returns how many admins are in it.
pub async fn set_menus(bot: &TgBot, admins: &BTreeSet<u64>) -> usize {
    let menu = |list: &[(&str, &str)]| list.iter().map(|(c, d)| BotCommand::new(*c, *d)).collect::<Vec<_>>();
    let public = menu(reply::COMMANDS);
    if let Err(e) = bot.set_my_commands(public.clone()).await {
        tracing::warn!(error = %e, "cannot set the command menu");
    }
    let mut all = public;
    all.extend(menu(reply::ADMIN_COMMANDS));
    let mut not_opened = 0;
    for (n, id) in admins.iter().enumerate() {
        let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(*id as i64)) };
        match bot.set_my_commands(all.clone()).scope(scope).await {
            Ok(_) => {}
            Err(teloxide::RequestError::Api(teloxide::ApiError::ChatNotFound)) => {
                not_opened += 1;
                tracing::info!(
                    admin = n + 1,
                    "the admin listed at this place in ADMIN_IDS has not opened the bot yet; the admin commands work for them already, and their menu lists them from the next start after they send /start"
                );
            }
            Err(e) => tracing::warn!(admin = n + 1, error = %e, "cannot set the admin menu for the admin listed at this place in ADMIN_IDS"),
        }
    }
    not_opened
}

/// What the knowledge watcher does with a reload: log it, and when an edit is
/// refused or the reload failed, tell every admin in their private chat.
pub fn reporter(bot: TgBot, admins: BTreeSet<u64>, runtime: tokio::runtime::Handle) -> impl Fn(&Outcome) + Send + 'static {
    move |outcome: &Outcome| {
        let text = reload::describe(outcome);
        match outcome {
            Outcome::Refused { .. } | Outcome::Failed { .. } => {
                tracing::warn!("{text}");
                let text = reply::reload_report(outcome);
                let (bot, admins) = (bot.clone(), admins.clone());
                runtime.spawn(async move {
                    for id in admins {
                        if let Err(e) = send_report(&bot, ChatId(id as i64), &text).await {
                            tracing::warn!(error = %format!("{e:#}"), "cannot tell an admin about the refused edit");
                        }
                    }
                });
            }
            _ => tracing::info!("{text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_reports_split_under_the_limit() {
        let text: String = (0..500).map(|i| format!("knowledge/faq.yaml:{i}: 问题 {i}\n")).collect();
        let parts = split_plain(&text, 1000);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| reply::telegram_len(p) <= 1000));
        assert_eq!(parts.join("\n"), text.trim_end());
        let long = "长".repeat(2500);
        let parts = split_plain(&long, 1000);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| reply::telegram_len(p) <= 1000));
        assert_eq!(split_plain("", 1000), vec!["-".to_string()]);
    }
}
