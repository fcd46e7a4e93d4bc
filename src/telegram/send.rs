//! Sending: where a reply goes ([`Target`]), an answer as Telegram HTML
//! parts with its buttons and a station's pin, one of the bot's fixed
//! sentences as plain text. Endpoints and admin commands both send through here.

use anyhow::Result;
use teloxide::prelude::*;
use teloxide::types::{Chat, MessageId, ParseMode, ReplyMarkup, ReplyParameters, ThreadId};

use super::{TgBot, keyboards};
use crate::engine::{Answer, Kind};
use crate::reply;

/// Where a reply goes: the chat, the message it answers (quoted in groups,
/// so the thread is clear) and the forum topic it was asked in.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub chat: &'a Chat,
    pub reply_to: Option<MessageId>,
    pub thread: Option<ThreadId>,
}

impl<'a> Target<'a> {
    /// The answer to `msg`.
    pub fn of(msg: &'a Message) -> Target<'a> {
        Target {
            chat: &msg.chat,
            reply_to: (!msg.chat.is_private()).then_some(msg.id),
            thread: msg.thread_id.filter(|_| msg.is_topic_message),
        }
    }

    /// The same place, without quoting (button presses, follow-up messages).
    pub fn unquoted(self) -> Target<'a> {
        Target { reply_to: None, ..self }
    }
}

/// Sends an answer: the HTML parts in order (the first quoting the
/// question), the inline buttons on the last part, then, for stations, a pin
/// for the first one with its map links.
pub async fn send_answer(bot: &TgBot, to: Target<'_>, answer: &Answer) -> Result<()> {
    send_answer_voted(bot, to, answer, None).await
}

/// [`send_answer`] with 👍/👎 under it when `vote_key` is given.
pub async fn send_answer_voted(bot: &TgBot, to: Target<'_>, answer: &Answer, vote_key: Option<&str>) -> Result<()> {
    let parts = reply::html(answer);
    let last = parts.len().saturating_sub(1);
    let mut markup: Option<ReplyMarkup> = keyboards::answer_keyboard_voted(answer, vote_key).map(ReplyMarkup::InlineKeyboard);
    if markup.is_none() && answer.kind == Kind::NeedLocation {
        markup = main_keyboard_for(to.chat);
    }
    for (i, part) in parts.into_iter().enumerate() {
        let mut req = bot.send_message(to.chat.id, part).parse_mode(ParseMode::Html);
        if i == 0
            && let Some(id) = to.reply_to
        {
            req = req.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
        }
        if let Some(thread) = to.thread {
            req = req.message_thread_id(thread);
        }
        if i == last
            && let Some(m) = markup.take()
        {
            req = req.reply_markup(m);
        }
        req.await?;
    }
    // The pin goes to the first station whose point is a place (not a district's representative point).
    if matches!(answer.kind, Kind::Nearby | Kind::Station)
        && let Some(h) = answer.stations.iter().find(|h| h.locatable)
    {
        let mut req = bot.send_venue(to.chat.id, h.lat, h.lon, h.name.clone(), h.address.clone());
        if let Some(thread) = to.thread {
            req = req.message_thread_id(thread);
        }
        if let Some(k) = keyboards::map_keyboard(h) {
            req = req.reply_markup(k);
        }
        req.await?;
    }
    Ok(())
}

/// Sends one of the bot's fixed sentences, as plain text (no HTML to escape).
pub async fn send_plain(bot: &TgBot, to: Target<'_>, text: &str, markup: Option<ReplyMarkup>) -> Result<()> {
    let mut req = bot.send_message(to.chat.id, text);
    if let Some(id) = to.reply_to {
        req = req.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
    }
    if let Some(thread) = to.thread {
        req = req.message_thread_id(thread);
    }
    if let Some(m) = markup {
        req = req.reply_markup(m);
    }
    req.await?;
    Ok(())
}

/// The reply keyboard, in private chats only: its location button works only
/// there, and in a group it would cover everyone's input field.
pub fn main_keyboard_for(chat: &Chat) -> Option<ReplyMarkup> {
    chat.is_private().then(|| ReplyMarkup::Keyboard(keyboards::main_keyboard()))
}
