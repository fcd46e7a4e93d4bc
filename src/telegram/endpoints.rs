//! One endpoint per kind of update: messages, edited messages (live
//! locations) and button presses. Each runs its body through
//! [`trace::guard`] and ends with one log line.
//!
//! What a worker wrote is the engine's to read; an endpoint only decides
//! whether to answer (groups, flood limit, live-location moves), asks the
//! engine, and sends what [`crate::reply`] renders.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use teloxide::prelude::*;
use teloxide::types::{Location, Me, MessageKind};
use teloxide::utils::command::{BotCommands, ParseError};

use super::flood::Verdict;
use super::send::{Target, main_keyboard_for, send_answer, send_answer_voted, send_plain};
use super::trace::{Handled, Trace, guard};
use super::{AdminCommand, Command, Ctx, HandlerResult, TgBot, admin, keyboards};
use crate::reply;

pub async fn message(bot: TgBot, msg: Message, me: Me, ctx: Arc<Ctx>, update: Update) -> HandlerResult {
    let trace = Trace::start(&ctx.users, &update);
    let outcome = guard(on_message(&bot, &msg, &me, &ctx)).await;
    trace.finish(&bot, Some(msg.chat.id), outcome).await;
    ctx.handled();
    Ok(())
}

pub async fn edited_message(bot: TgBot, msg: Message, ctx: Arc<Ctx>, update: Update) -> HandlerResult {
    let trace = Trace::start(&ctx.users, &update);
    let outcome = guard(on_edited(&bot, &msg, &ctx)).await;
    trace.finish(&bot, Some(msg.chat.id), outcome).await;
    ctx.handled();
    Ok(())
}

pub async fn callback_query(bot: TgBot, q: CallbackQuery, ctx: Arc<Ctx>, update: Update) -> HandlerResult {
    let trace = Trace::start(&ctx.users, &update);
    // Answered first, whatever happens next, so the button stops spinning
    // (a vote's with a thank-you toast).
    let mut answering = bot.answer_callback_query(q.id.clone());
    if q.data.as_deref().is_some_and(|d| keyboards::parse_vote(d).is_some()) {
        answering = answering.text(reply::vote_thanks());
    }
    if let Err(e) = answering.await {
        tracing::warn!(update = update.id.0, error = %e, "cannot answer the callback query");
    }
    let chat = q.message.as_ref().map(|m| m.chat().id);
    let outcome = guard(on_callback(&bot, &q, &ctx)).await;
    trace.finish(&bot, chat, outcome).await;
    ctx.handled();
    Ok(())
}

/// A message: a command, a question, a location, or something else.
async fn on_message(bot: &TgBot, msg: &Message, me: &Me, ctx: &Arc<Ctx>) -> Result<Handled> {
    let name = me.user.username.as_deref().unwrap_or_default();
    if let Some(text) = msg.text()
        && text.starts_with('/')
    {
        return on_command(bot, msg, name, ctx, text).await;
    }
    if !msg.chat.is_private() && !replies_to_bot(msg, me) && !mentions(msg, name) {
        return Ok(Handled::new("group", "not_addressed"));
    }
    if msg.sender_chat.is_none() && msg.from.as_ref().is_some_and(|u| u.is_bot) {
        return Ok(Handled::new("bot", "ignored"));
    }
    if let Some(h) = flood_gate(bot, ctx, sender_key(msg), sent_at(msg), Target::of(msg)).await? {
        return Ok(h);
    }
    if let Some(loc) = location_of(msg) {
        let answer = ctx.nearby(loc.latitude, loc.longitude).await?;
        send_answer_voted(bot, Target::of(msg), &answer, ctx.vote_key(&answer, None).as_deref()).await?;
        ctx.leave_context(msg.chat.id.0, &answer);
        if loc.live_period.is_some() {
            let nearest = answer.stations.first().map(|h| h.id.as_str());
            ctx.moves.answered(live_key(msg), loc.latitude, loc.longitude, nearest, Instant::now());
            return Ok(Handled::answered("live_location", &answer));
        }
        return Ok(Handled::answered("location", &answer));
    }
    if let Some(text) = msg.text() {
        let question = strip_mention(text, name);
        let answer = ctx.answer(msg.chat.id.0, question.clone()).await?;
        send_answer_voted(bot, Target::of(msg), &answer, ctx.vote_key(&answer, Some(&question)).as_deref()).await?;
        return Ok(Handled::answered("text", &answer));
    }
    // Service messages (a pin, a member joining) are nobody's question. A
    // message teloxide cannot read (a kind newer than it) comes as Empty: a
    // worker sent something, so it gets the friendly line.
    if !matches!(msg.kind, MessageKind::Common(_) | MessageKind::Dice(_) | MessageKind::Empty {}) {
        return Ok(Handled::new("service", "ignored"));
    }
    // Stickers, photos, voice, files…: say what the bot understands.
    send_plain(bot, Target::of(msg), reply::unsupported_message(), main_keyboard_for(&msg.chat)).await?;
    Ok(Handled::new("other", "unsupported"))
}

/// A command: ours (with or without `@botname`), an admin command, or one we
/// do not know. Commands for other bots in a group are left alone.
async fn on_command(bot: &TgBot, msg: &Message, name: &str, ctx: &Arc<Ctx>, text: &str) -> Result<Handled> {
    let parsed = match Command::parse(text, name) {
        Ok(cmd) => Ok(cmd),
        Err(ParseError::WrongBotName(_)) => return Ok(Handled::new("command", "other_bot")),
        Err(_) => Err(AdminCommand::parse(text, name)),
    };
    let addressed = msg.chat.is_private() || text.split_whitespace().next().is_some_and(|c| c.contains('@'));
    let admin = match parsed {
        Ok(cmd) => {
            if let Some(h) = flood_gate(bot, ctx, sender_key(msg), sent_at(msg), Target::of(msg)).await? {
                return Ok(h);
            }
            return public_command(bot, msg, ctx, cmd).await;
        }
        Err(Ok(admin)) => admin,
        Err(Err(ParseError::WrongBotName(_))) => return Ok(Handled::new("command", "other_bot")),
        Err(Err(_)) if addressed => {
            if let Some(h) = flood_gate(bot, ctx, sender_key(msg), sent_at(msg), Target::of(msg)).await? {
                return Ok(h);
            }
            send_plain(bot, Target::of(msg), reply::unknown_command(), None).await?;
            return Ok(Handled::new("command", "unknown"));
        }
        Err(Err(_)) => return Ok(Handled::new("command", "not_ours")),
    };
    if let Some(h) = flood_gate(bot, ctx, sender_key(msg), sent_at(msg), Target::of(msg)).await? {
        return Ok(h);
    }
    admin::command(bot, msg, ctx, admin).await
}

async fn public_command(bot: &TgBot, msg: &Message, ctx: &Arc<Ctx>, cmd: Command) -> Result<Handled> {
    let (chat, to) = (&msg.chat, Target::of(msg));
    match cmd {
        Command::Start(payload) => {
            send_plain(bot, to, reply::greeting(), main_keyboard_for(chat)).await?;
            // A deep link may name an entry: t.me/<bot>?start=faq_join-how
            // (the text form of an engine `Ref` is a valid start parameter).
            if !payload.trim().is_empty()
                && let Some(answer) = ctx.answer_ref(chat.id.0, payload).await?
            {
                send_answer(bot, to.unquoted(), &answer).await?;
                return Ok(Handled::answered("command", &answer));
            }
            Ok(Handled::new("command", "start"))
        }
        Command::Nearby => {
            send_plain(bot, to, reply::need_location(), main_keyboard_for(chat)).await?;
            Ok(Handled::new("command", "need_location"))
        }
        // The same as pressing the keyboard button: the engine answers its label.
        Command::Help | Command::Join | Command::Hotline => {
            let label = match cmd {
                Command::Help => reply::BUTTON_HELP,
                Command::Join => reply::BUTTON_JOIN,
                _ => reply::BUTTON_HOTLINE,
            };
            let answer = ctx.answer_unrecorded(chat.id.0, label.to_string()).await?;
            send_answer(bot, to, &answer).await?;
            Ok(Handled::answered("command", &answer))
        }
    }
}

/// An edited message: only a live location's new position matters, and only
/// when the worker has moved on (see [`super::moves`]). These edits come every
/// few seconds without the worker doing anything, so they do not count
/// against the flood limit.
async fn on_edited(bot: &TgBot, msg: &Message, ctx: &Arc<Ctx>) -> Result<Handled> {
    let Some(loc) = msg.location().filter(|l| l.live_period.is_some()) else {
        return Ok(Handled::new("edited", "ignored"));
    };
    let answer = ctx.nearby(loc.latitude, loc.longitude).await?;
    let nearest = answer.stations.first().map(|h| h.id.as_str());
    let now = Instant::now();
    // After a restart a private chat's live location is answered afresh; in a
    // group only one the bot was asked about (and answered) is followed.
    if !ctx.moves.is_news(live_key(msg), loc.latitude, loc.longitude, nearest, msg.chat.is_private(), now) {
        return Ok(Handled::new("live_location", "unchanged"));
    }
    send_answer(bot, Target::of(msg).unquoted(), &answer).await?;
    ctx.leave_context(msg.chat.id.0, &answer);
    ctx.moves.answered(live_key(msg), loc.latitude, loc.longitude, nearest, now);
    Ok(Handled::answered("live_location", &answer))
}

/// A button press: the data is an engine key.
async fn on_callback(bot: &TgBot, q: &CallbackQuery, ctx: &Arc<Ctx>) -> Result<Handled> {
    let to = match (&q.message, q.regular_message()) {
        (_, Some(m)) => Target::of(m).unquoted(),
        (Some(m), None) => Target { chat: m.chat(), reply_to: None, thread: None },
        (None, None) => return Ok(Handled::new("callback", "no_message")),
    };
    if let Some(h) = flood_gate(bot, ctx, q.from.id.0, Instant::now(), to).await? {
        return Ok(h);
    }
    let Some(key) = q.data.as_deref() else {
        return Ok(Handled::new("callback", "no_data"));
    };
    if let Some((vote, vote_key, sent_ref)) = keyboards::parse_vote(key) {
        // The key's question (for a 👎) if it is still known; otherwise the reference the button carries.
        let given = ctx.pending.take(vote_key);
        let (answer_ref, question) = match given {
            Some(g) => (Some(g.answer_ref), g.question),
            None => (sent_ref.map(str::to_string), None),
        };
        return Ok(match answer_ref {
            Some(r) => {
                ctx.journal.record_vote(&r, vote, question.as_deref(), "telegram");
                Handled::new("vote", vote.as_str())
            }
            None => Handled::new("vote", "stale"),
        });
    }
    match ctx.answer_ref(to.chat.id.0, key.to_string()).await? {
        Some(answer) => {
            send_answer_voted(bot, to, &answer, ctx.vote_key(&answer, None).as_deref()).await?;
            Ok(Handled::answered("callback", &answer))
        }
        // A button from before a reload that removed its entry.
        None => {
            send_plain(bot, to, reply::stale_button(), None).await?;
            Ok(Handled::new("callback", "stale"))
        }
    }
}

/// Applies the per-user flood limit; `Some` when the message must not be answered.
/// `sent`: when the user sent it (see [`sent_at`]).
async fn flood_gate(bot: &TgBot, ctx: &Ctx, user: u64, sent: Instant, to: Target<'_>) -> Result<Option<Handled>> {
    match ctx.flood.check(user, sent) {
        Verdict::Answer => Ok(None),
        Verdict::Notice => {
            send_plain(bot, to, reply::slow_down(), None).await?;
            Ok(Some(Handled::new("flood", "notice")))
        }
        Verdict::Silence => Ok(Some(Handled::new("flood", "silence"))),
    }
}

/// When the user sent `msg`, on this process's clock: Telegram's date (to
/// the second), not when it is handled. A chat's messages are handled one
/// after another, and each waits for the previous reply, which the throttle
/// holds to 20 a minute per chat; judged by when they are handled, 100
/// messages sent at once would look like a user writing slowly, and the
/// flood limit would never trip (issue 6's flood test found this).
fn sent_at(msg: &Message) -> Instant {
    let now = Instant::now();
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    let age = (since_epoch - msg.date.timestamp() as f64).clamp(0.0, 3600.0);
    now.checked_sub(std::time::Duration::from_secs_f64(age)).unwrap_or(now)
}

/// A shared location, or a venue's (Telegram puts a venue's point in `venue`).
fn location_of(msg: &Message) -> Option<&Location> {
    msg.location().or_else(|| msg.venue().map(|v| &v.location))
}

/// Whom the flood limit counts: the user, or the chat a message was sent on
/// behalf of (anonymous admins, channels).
fn sender_key(msg: &Message) -> u64 {
    match (&msg.sender_chat, &msg.from) {
        (Some(c), _) => c.id.0 as u64,
        (None, Some(u)) => u.id.0,
        (None, None) => msg.chat.id.0 as u64,
    }
}

fn live_key(msg: &Message) -> (i64, u64) {
    (msg.chat.id.0, sender_key(msg))
}

fn replies_to_bot(msg: &Message, me: &Me) -> bool {
    msg.reply_to_message().and_then(|r| r.from.as_ref()).is_some_and(|u| u.id == me.user.id)
}

/// Whether the text or caption mentions the bot (`@name`, any case).
fn mentions(msg: &Message, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    // Not teloxide's `parse_entities`: it panics on an entity that reaches
    // past the text (found by the telegram_update fuzz target); an entity
    // that does not fit is no mention.
    let (text, entities) = match (msg.text(), msg.entities()) {
        (Some(t), Some(e)) => (t, e),
        _ => match (msg.caption(), msg.caption_entities()) {
            (Some(t), Some(e)) => (t, e),
            _ => return false,
        },
    };
    entities
        .iter()
        .any(|e| matches!(e.kind, teloxide::types::MessageEntityKind::Mention) && entity_text(text, e.offset, e.length).is_some_and(|w| is_bot_mention(w, name)))
}

/// The part of `text` an entity covers: Telegram counts `offset` and
/// `length` in UTF-16 code units. `None` when it starts or ends outside the
/// text or inside a character.
fn entity_text(text: &str, offset: usize, length: usize) -> Option<&str> {
    let end_units = offset.checked_add(length)?;
    let (mut start, mut end, mut units) = (None, None, 0usize);
    for (b, c) in text.char_indices() {
        if units == offset {
            start = Some(b);
        }
        if units == end_units {
            end = Some(b);
        }
        units += c.len_utf16();
    }
    if units == offset {
        start = Some(text.len());
    }
    if units == end_units {
        end = Some(text.len());
    }
    text.get(start?..end?)
}

fn is_bot_mention(word: &str, name: &str) -> bool {
    word.strip_prefix('@').is_some_and(|w| w.eq_ignore_ascii_case(name))
}

/// The question without the `@botname` that addressed it.
fn strip_mention(text: &str, name: &str) -> String {
    if name.is_empty() {
        return text.to_string();
    }
    let needle = format!("@{}", name.to_ascii_lowercase());
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(at) = lower[i..].find(&needle) {
        let start = i + at;
        let end = start + needle.len();
        let word_ends = !text[end..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&text[i..start]);
        if !word_ends {
            out.push_str(&text[start..end]);
        }
        i = end;
    }
    out.push_str(&text[i..]);
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_stripped_from_questions() {
        assert_eq!(strip_mention("@Union_Bot 怎么入会", "union_bot"), "怎么入会");
        assert_eq!(strip_mention("怎么入会 @union_bot", "union_bot"), "怎么入会");
        assert_eq!(strip_mention("@union_bot2 你好", "union_bot"), "@union_bot2 你好");
        assert!(is_bot_mention("@UNION_BOT", "union_bot"));
        assert!(!is_bot_mention("@union_bot2", "union_bot"));
    }

    #[test]
    fn flood_is_judged_by_the_sending_time() {
        // A message sent 45 s ago and handled only now (a chat's messages wait
        // for the replies before them) counts at when it was sent.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let msg: Message = serde_json::from_value(serde_json::json!({
            "message_id": 1,
            "date": now - 45,
            "chat": { "id": 7, "type": "private", "first_name": "骑手" },
            "from": { "id": 7, "is_bot": false, "first_name": "骑手" },
            "text": "你好",
        }))
        .unwrap();
        let age = Instant::now().duration_since(sent_at(&msg)).as_secs_f64();
        assert!((44.0..47.0).contains(&age), "judged as sent {age} s ago");
    }

    #[test]
    fn commands_parse_with_and_without_the_bot_name() {
        assert_eq!(Command::parse("/start", "union_bot").unwrap(), Command::Start(String::new()));
        assert_eq!(Command::parse("/start faq_join-how", "union_bot").unwrap(), Command::Start("faq_join-how".into()));
        assert_eq!(Command::parse("/join@union_bot", "union_bot").unwrap(), Command::Join);
        assert!(matches!(Command::parse("/join@other_bot", "union_bot"), Err(ParseError::WrongBotName(_))));
        assert!(Command::parse("/reload", "union_bot").is_err());
        assert_eq!(AdminCommand::parse("/reload", "union_bot").unwrap(), AdminCommand::Reload);
    }
}
