//! The Telegram channel against the fake Bot API server
//! (`common::fake_telegram`): the real dispatcher, engine and knowledge in
//! this process, and the real binary end to end. Every test ends by stopping
//! the bot the way a signal would, checking that it stopped cleanly, that it
//! acknowledged every update, and that Telegram refused none of its requests.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use union_bot::reply;

use crate::common::bot::{ADMIN, spawn_bot};
use crate::common::fake_telegram::{self as tg, Call, FakeTelegram};
use crate::common::{knowledge_copy, knowledge_dir};

const WORKER: i64 = 777_000_111;
const GROUP: i64 = -5001;

fn worker() -> (Value, Value) {
    (tg::private_chat(WORKER, "小王"), tg::user(WORKER, "小王"))
}

fn callback_data(call: &Call) -> Vec<String> {
    call.buttons().iter().filter_map(|b| b["callback_data"].as_str().map(str::to_string)).collect()
}

fn urls(call: &Call) -> Vec<String> {
    call.buttons().iter().filter_map(|b| b["url"].as_str().map(str::to_string)).collect()
}

/// The buttons of a request as a worker sees them, one line each: inline
/// buttons numbered for `!press` ("[1] 谁能加入工会"), link buttons with their
/// address, and the reply keyboard under the input field, row by row.
fn shown_buttons(call: &Call) -> Vec<String> {
    let markup = &call.params["reply_markup"];
    let rows = |key: &str| markup[key].as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    let mut n = 0;
    for b in rows("inline_keyboard").iter().filter_map(Value::as_array).flatten() {
        let label = b["text"].as_str().unwrap_or_default();
        match (b["callback_data"].as_str(), b["url"].as_str()) {
            (Some(_), _) => {
                n += 1;
                out.push(format!("[{n}] {label}"));
            }
            (None, Some(url)) => out.push(format!("🔗 {label}: {url}")),
            (None, None) => out.push(format!("[?] {label}")),
        }
    }
    for row in rows("keyboard").iter().filter_map(Value::as_array) {
        let labels: Vec<&str> = row.iter().filter_map(|b| b["text"].as_str()).collect();
        out.push(format!("⌨ {}", labels.join(" | ")));
    }
    out
}

fn texts(calls: &[Call]) -> Vec<&str> {
    calls.iter().map(Call::text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_shows_the_location_button_and_sets_the_menus() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "/start");
    let sent = bot.fake.wait_for_sent(WORKER, 1).await;
    assert_eq!(sent[0].text(), reply::greeting());
    let location_button = sent[0].buttons().into_iter().find(|b| b["request_location"] == json!(true)).expect("a location button");
    assert_eq!(location_button["text"], reply::BUTTON_LOCATION);
    assert_eq!(sent[0].params["reply_markup"]["is_persistent"], json!(true));
    // What the fake server shows by hand (try_the_bot_by_hand): the labels.
    let shown = shown_buttons(&sent[0]);
    assert!(shown.iter().any(|l| l.starts_with("⌨ ") && l.contains(reply::BUTTON_LOCATION)), "{shown:?}");
    assert!(shown.iter().any(|l| l.contains(reply::BUTTON_JOIN) && l.contains(reply::BUTTON_HELP)), "{shown:?}");

    let menus: Vec<Call> = bot.fake.calls().into_iter().filter(|c| c.method == "setMyCommands").collect();
    let names = |c: &Call| c.params["commands"].as_array().unwrap().iter().map(|x| x["command"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let public = menus.iter().find(|c| c.params["scope"].is_null() || c.params["scope"]["type"] == "default").expect("a default menu");
    assert_eq!(names(public), ["start", "help", "nearby", "join", "hotline"]);
    let admin = menus.iter().find(|c| c.params["scope"]["type"] == "chat").expect("an admin menu");
    assert_eq!(admin.params["scope"]["chat_id"], json!(ADMIN));
    assert_eq!(names(admin), ["start", "help", "nearby", "join", "hotline", "reload", "stats", "unanswered"]);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_about_joining_names_the_i_member_app_with_a_source_line() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "怎么入会");
    let sent = bot.fake.wait_for_sent(WORKER, 1).await;
    let text = sent[0].text();
    assert!(text.contains("i会员"), "{text}");
    assert!(text.contains("来源：《"), "{text}");
    // Follow-ups are buttons that answer when pressed.
    let data = callback_data(&sent[0]);
    assert!(data.iter().any(|d| d == "faq_join-who"), "{data:?}");
    let shown = shown_buttons(&sent[0]);
    assert!(shown.iter().all(|l| l.starts_with('[') && !l.contains("faq_")), "labels, not keys: {shown:?}");
    let message = sent[0].result.clone().expect("the sent message");
    bot.fake.press(&from, &message, "faq_join-who");
    let sent = bot.fake.wait_for_sent(WORKER, 2).await;
    assert_ne!(sent[1].text(), sent[0].text());
    assert!(!sent[1].text().is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_greets_then_answers_its_entry() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "/start faq_hotline");
    let sent = bot.fake.wait_for_sent(WORKER, 2).await;
    assert_eq!(sent[0].text(), reply::greeting());
    assert!(sent[1].text().contains("12351"), "{}", sent[1].text());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_in_huairou_gets_the_fushang_pin_and_map_buttons() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.location(&chat, &from, 40.3162, 116.6325, false);
    let sent = bot.fake.wait_for_sent(WORKER, 2).await;
    assert_eq!(sent[0].method, "sendMessage");
    assert!(sent[0].text().contains("富商市场"), "{}", sent[0].text());
    assert!(sent[0].text().contains("开放时间"), "{}", sent[0].text());
    let venue = &sent[1];
    assert_eq!(venue.method, "sendVenue");
    assert!(venue.params["title"].as_str().unwrap().contains("富商市场"), "{:?}", venue.params);
    assert!((venue.params["latitude"].as_f64().unwrap() - 40.3163).abs() < 0.001);
    let links = urls(venue);
    assert!(links.iter().any(|u| u.starts_with("https://uri.amap.com/") && u.contains("coordinate=wgs84")), "{links:?}");
    assert!(links.iter().any(|u| u.starts_with("https://api.map.baidu.com/") && u.contains("coord_type=wgs84")), "{links:?}");

    // The other stations of the list are buttons; pressing one pins it.
    let data = callback_data(&sent[0]);
    let other = data.iter().find(|d| d.starts_with("station_")).expect("a button for the second station").clone();
    bot.fake.press(&from, sent[0].result.as_ref().unwrap(), &other);
    let sent = bot.fake.wait_for_sent(WORKER, 4).await;
    assert_eq!(sent[3].method, "sendVenue");
    assert_ne!(sent[3].params["title"], sent[1].params["title"]);

    // A venue picked from the map is a location too.
    bot.fake.venue(&chat, &from, 40.3162, 116.6325, "富商市场");
    let sent = bot.fake.wait_for_sent(WORKER, 6).await;
    assert!(sent[4].text().contains("富商市场"));
    assert_eq!(sent[5].method, "sendVenue");

    // Shanghai is outside Beijing: said plainly, no pin.
    bot.fake.location(&chat, &from, 31.2304, 121.4737, false);
    let sent = bot.fake.wait_for_sent(WORKER, 7).await;
    assert_eq!(sent[6].text(), reply::outside_beijing());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stations_whose_point_is_only_the_districts_get_no_pin_and_no_distance() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    // In 经开区 the three stations the articles name share the district's representative point.
    bot.fake.location(&chat, &from, 39.7960, 116.5070, false);
    let sent = bot.fake.wait_for_sent(WORKER, 1).await;
    assert!(sent[0].text().contains("生物医药园工会服务站"), "{}", sent[0].text());
    assert!(sent[0].text().contains("不能算距离") && !sent[0].text().contains("就在附近"), "{}", sent[0].text());
    // The next message is the next answer: no venue was sent in between.
    bot.fake.text(&chat, &from, "怀柔商业街附近有驿站吗");
    let sent = bot.fake.wait_for_sent(WORKER, 3).await;
    assert_eq!(sent[1].method, "sendMessage");
    assert!(sent[1].text().contains("富商市场"), "{}", sent[1].text());
    assert_eq!(sent[2].method, "sendVenue", "a station with a place for a point is pinned");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_typed_as_text_answers_like_a_location() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "怀柔商业街附近有驿站吗");
    let sent = bot.fake.wait_for_sent(WORKER, 2).await;
    assert!(sent[0].text().contains("富商市场"), "{}", sent[0].text());
    assert_eq!(sent[1].method, "sendVenue");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stickers_and_voice_get_the_friendly_line_and_the_keyboard() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.sticker(&chat, &from);
    bot.fake.voice(&chat, &from);
    let sent = bot.fake.wait_for_sent(WORKER, 2).await;
    for s in &sent {
        assert_eq!(s.text(), reply::unsupported_message());
        assert!(s.buttons().iter().any(|b| b["request_location"] == json!(true)));
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_work_only_for_admins_in_private() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let fake = &bot.fake;
    let (chat, from) = worker();
    fake.text(&chat, &from, "/reload");
    fake.text(&chat, &from, "/stats");
    let sent = fake.wait_for_sent(WORKER, 2).await;
    assert_eq!(texts(&sent), [reply::not_available(), reply::not_available()]);

    // The admin, in a group: refused (and quoted, as every group reply is).
    let group = tg::group_chat(GROUP, "快递小哥群");
    let admin = tg::user(ADMIN, "管理员");
    let asked = fake.text(&group, &admin, &format!("/reload@{}", tg::BOT_USERNAME));
    // An anonymous group admin, sending on behalf of the group: refused.
    let mut body = json!({ "text": "/unanswered", "entities": [{ "type": "bot_command", "offset": 0, "length": 11 }] });
    body["sender_chat"] = group.clone();
    fake.message(&group, &tg::anonymous_admin(), body);
    let sent = fake.wait_for_sent(GROUP, 2).await;
    assert_eq!(texts(&sent), [reply::not_available(), reply::not_available()]);
    assert_eq!(sent[0].params["reply_parameters"]["message_id"], asked["message_id"]);

    // The admin in private: the reload report, stats, unanswered questions.
    let admin_chat = tg::private_chat(ADMIN, "管理员");
    fake.text(&admin_chat, &admin, "/reload");
    let sent = fake.wait_for_sent(ADMIN, 1).await;
    assert!(sent[0].text().starts_with("已重新加载"), "in Chinese: {}", sent[0].text());
    fake.text(&chat, &from, "火星上今天下雨吗");
    fake.wait_for_sent(WORKER, 3).await;
    fake.text(&admin_chat, &admin, "/unanswered");
    fake.text(&admin_chat, &admin, "/stats");
    let sent = fake.wait_for_sent(ADMIN, 3).await;
    assert!(sent[1].text().contains("火星上今天下雨吗"), "the journal lists the unanswered question: {}", sent[1].text());
    assert!(!sent[2].text().trim().is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thumbs_down_under_an_answer_is_recorded_with_its_question_and_shown_in_stats() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "怎么入会");
    let sent = bot.fake.wait_for_sent(WORKER, 1).await;
    let data = callback_data(&sent[0]);
    let down = data.iter().find(|d| d.starts_with("v:d:")).unwrap_or_else(|| panic!("no 👎 under the answer: {data:?}")).clone();
    assert!(data.iter().any(|d| d.starts_with("v:u:")), "no 👍: {data:?}");
    assert!(data.iter().all(|d| d.len() <= tg::CALLBACK_DATA_LIMIT), "{data:?}");
    let message = sent[0].result.clone().unwrap();
    bot.fake.press(&from, &message, &down);
    let calls = bot
        .fake
        .wait_for("the vote's toast", Duration::from_secs(30), |calls| calls.iter().any(|c| c.method == "answerCallbackQuery"))
        .await;
    let toast = calls.iter().find(|c| c.method == "answerCallbackQuery").unwrap();
    assert_eq!(toast.params["text"], reply::vote_thanks(), "{:?}", toast.params);
    let feedback = bot.data_dir().join("feedback.jsonl");
    // The callback query is answered first; the vote is written right after.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let line: Value = loop {
        if let Some(l) = std::fs::read_to_string(&feedback).unwrap_or_default().lines().next() {
            break serde_json::from_str(l).unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "no vote line in {}", feedback.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(line["vote"], "down");
    assert_eq!(line["q"], "怎么入会");
    assert_eq!(line["via"], "telegram");
    assert!(line["ref"].as_str().unwrap().starts_with("faq_join"), "{line}");
    assert!(!line.to_string().contains(&WORKER.to_string()), "no user id: {line}");
    // No answer is sent for a vote; the admin's /stats lists it.
    let (admin_chat, admin) = (tg::private_chat(ADMIN, "管理员"), tg::user(ADMIN, "管理员"));
    bot.fake.text(&admin_chat, &admin, "/stats");
    let stats = bot.fake.wait_for_sent(ADMIN, 1).await;
    let text: String = stats.iter().map(|c| c.text().to_string()).collect();
    assert!(text.contains("👎最多的回答") && text.contains("问：怎么入会"), "{text}");
    assert_eq!(bot.fake.sent_to(WORKER).len(), 1, "a vote gets no message");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fallback_offers_12351_and_the_closest_topics() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "火星上今天下雨吗");
    let sent = bot.fake.wait_for_sent(WORKER, 1).await;
    assert!(sent[0].text().contains("12351"), "{}", sent[0].text());
    assert!(sent[0].text().contains("答不上来"), "{}", sent[0].text());
    let data = callback_data(&sent[0]);
    assert!(!data.is_empty(), "topics as buttons");
    assert!(data.iter().all(|d| d.len() <= tg::CALLBACK_DATA_LIMIT));

    // Every press is answered, even one whose entry is gone.
    let message = sent[0].result.clone().unwrap();
    bot.fake.press(&from, &message, &data[0]);
    bot.fake.press(&from, &message, "f:no-such-entry");
    let sent = bot.fake.wait_for_sent(WORKER, 3).await;
    assert!(!sent[1].text().is_empty());
    assert_eq!(sent.last().unwrap().text(), reply::stale_button());
    bot.fake.wait_for("both callback queries answered", Duration::from_secs(30), |calls| calls.iter().filter(|c| c.method == "answerCallbackQuery").count() == 2).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_answer_is_split_into_valid_parts_with_the_buttons_on_the_last() {
    // An entry `check` would refuse as too long, full of characters to escape:
    // the bot must still send it as Telegram accepts it.
    let knowledge = knowledge_copy();
    let lines: Vec<String> = (1..80).map(|i| format!("    第{i}条：<工会服务> & \"暖心驿站\" 提供热水、充电 A&B<C>D")).collect();
    let entry = format!(
        "\n- id: long-test\n  topic: 超长测试\n  questions:\n    - 超长测试问题\n  answer: |\n{}\n  sources: [004-01]\n  follow_ups: [join-how, hotline]\n",
        lines.join("\n")
    );
    let faq = knowledge.path().join("faq.yaml");
    std::fs::write(&faq, std::fs::read_to_string(&faq).unwrap() + &entry).unwrap();
    let bot = spawn_bot(knowledge.path().to_path_buf(), None).await;
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "超长测试问题");
    bot.fake
        .wait_for("the last part, with the buttons", Duration::from_secs(60), |calls| {
            calls.iter().any(|c| c.is_sent_message() && c.text().contains("来源：") && !c.buttons().is_empty())
        })
        .await;
    let sent = bot.fake.sent_to(WORKER);
    assert!(sent.len() >= 2, "{} parts", sent.len());
    let (last, first) = (sent.last().unwrap(), &sent[..sent.len() - 1]);
    assert!(first.iter().all(|c| c.buttons().is_empty()), "buttons only on the last part");
    let choices: Vec<String> = callback_data(last).into_iter().filter(|d| !d.starts_with("v:")).collect();
    assert_eq!(choices, ["faq_join-how", "faq_hotline"]);
    let visible: String = sent.iter().map(|c| c.result.as_ref().unwrap()["text"].as_str().unwrap().to_string()).collect::<Vec<_>>().join("\n");
    assert!(visible.contains("第1条：<工会服务> & \"暖心驿站\"") && visible.contains("第79条"), "nothing lost, escaped once");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_groups_the_bot_answers_only_when_addressed() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let fake = &bot.fake;
    let group = tg::group_chat(GROUP, "快递小哥群");
    let (a, b) = (tg::user(2001, "老李"), tg::user(2002, "小张"));
    fake.text(&group, &a, "今天单子真多");
    fake.text(&group, &a, "怎么入会");
    fake.text(&group, &a, "/start@some_other_bot");
    let asked = fake.text(&group, &b, &format!("@{} 怎么入会", tg::BOT_USERNAME));
    let sent = fake.wait_for_sent(GROUP, 1).await;
    assert_eq!(sent.len(), 1, "only the mention is answered: {:?}", texts(&sent));
    assert!(sent[0].text().contains("i会员"));
    assert_eq!(sent[0].params["reply_parameters"]["message_id"], asked["message_id"]);

    // A reply to the bot is addressed to it.
    fake.reply(&group, &a, sent[0].result.as_ref().unwrap(), "工会热线");
    let sent = fake.wait_for_sent(GROUP, 2).await;
    assert!(sent[1].text().contains("12351"));

    // Commands are answered; the reply keyboard stays out of groups.
    fake.text(&group, &a, "/start");
    let sent = fake.wait_for_sent(GROUP, 3).await;
    assert_eq!(sent[2].text(), reply::greeting());
    assert!(sent[2].params["reply_markup"].is_null());
    fake.sticker(&group, &a);
    fake.text(&group, &a, "/help");
    let sent = fake.wait_for_sent(GROUP, 4).await;
    assert_eq!(sent.len(), 4, "the sticker is not answered in a group: {:?}", texts(&sent));
    let fake = bot.stop().await;
    assert_eq!(fake.sent_to(GROUP).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_forum_topic_every_part_of_an_answer_stays_in_the_topic() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let forum = tg::forum_chat(-1001234567890, "骑手之家");
    let from = tg::user(2003, "小赵");
    bot.fake.text_in_topic(&forum, &from, 77, &format!("@{} 怀柔商业街附近有驿站吗", tg::BOT_USERNAME));
    let sent = bot.fake.wait_for_sent(-1001234567890, 2).await;
    assert_eq!(sent[1].method, "sendVenue");
    assert!(sent.iter().all(|c| c.params["message_thread_id"] == json!(77)), "{:?}", sent.iter().map(|c| &c.params).collect::<Vec<_>>());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_location_is_answered_again_only_after_a_real_move() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let fake = &bot.fake;
    let (chat, from) = worker();
    let live = fake.location(&chat, &from, 40.3162, 116.6325, true);
    let sent = fake.wait_for_sent(WORKER, 2).await;
    assert!(sent[1].params["title"].as_str().unwrap().contains("富商市场"));
    // Small moves, every few seconds as Telegram sends them: nothing new to say.
    for i in 1..=5 {
        fake.move_live_location(&live, 40.3162 + 0.0002 * i as f64, 116.6325);
    }
    // Then the worker rides to Wangjing: the nearest station changes.
    fake.move_live_location(&live, 39.9963, 116.4700);
    fake.move_live_location(&live, 39.9964, 116.4701);
    // A question after the edits is answered after them (one chat, in order).
    fake.text(&chat, &from, "你好");
    let sent = fake.wait_for_sent(WORKER, 5).await;
    assert_eq!(sent[2].method, "sendMessage");
    assert!(sent[2].text().contains("离您最近"), "{}", sent[2].text());
    assert_eq!(sent[3].method, "sendVenue");
    assert_ne!(sent[3].params["title"], sent[1].params["title"]);
    assert!(sent[4].text().starts_with(reply::greeting()), "{}", sent[4].text());
    let fake = bot.stop().await;
    assert_eq!(fake.sent_to(WORKER).len(), 5, "no live-location flood");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_user_gets_one_notice_then_silence() {
    // One user writing in two chats at once: the limit is per user, and each
    // chat stays under Telegram's own per-chat pace, so this runs quickly.
    let bot = spawn_bot(knowledge_dir(), None).await;
    let fake = &bot.fake;
    let (chat, from) = worker();
    let group = tg::group_chat(GROUP, "快递小哥群");
    for _ in 0..11 {
        fake.text(&chat, &from, "你好");
        fake.text(&group, &from, &format!("@{} 你好", tg::BOT_USERNAME));
    }
    fake.wait_for("20 answers and one notice", Duration::from_secs(90), |calls| calls.iter().filter(|c| c.is_sent_message()).count() >= 21).await;
    let fake = bot.stop().await;
    let mut sent = fake.sent_to(WORKER);
    sent.extend(fake.sent_to(GROUP));
    let notices = sent.iter().filter(|c| c.text() == reply::slow_down()).count();
    let answers = sent.iter().filter(|c| c.text().starts_with(reply::greeting())).count();
    assert_eq!((answers, notices, sent.len()), (20, 1, 21), "{:?}", texts(&sent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_server_refuses_what_telegram_refuses() {
    use teloxide::prelude::*;
    use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ParseMode};

    for ok in ["<b>加粗</b> &lt;a&gt; &amp; &quot;", "<a href=\"https://x.cn/?a=1&amp;b=2\">链接</a>", "<span class=\"tg-spoiler\">x</span>", "&#128205;"] {
        assert!(tg::parse_html(ok).is_ok(), "{ok}: {:?}", tg::parse_html(ok));
    }
    for bad in ["<b>未闭合", "a > b", "a & b", "<div>x</div>", "<span>x</span>", "<b><i>x</b></i>", "x</b>", "&nbsp;"] {
        assert!(tg::parse_html(bad).is_err(), "{bad} should be refused");
    }
    assert_eq!(tg::parse_html("<b>来源</b>：&lt;《文章》&gt;").unwrap(), "来源：<《文章》>");

    // Through teloxide, as the bot sees it.
    let fake = FakeTelegram::start().await;
    fake.know_chat(&tg::private_chat(WORKER, "小王"));
    let bot = Bot::new(tg::TOKEN).set_api_url(url::Url::parse(&fake.url).unwrap());
    bot.send_message(ChatId(WORKER), "<b>好</b>").parse_mode(ParseMode::Html).await.expect("valid HTML is accepted");
    let e = bot.send_message(ChatId(WORKER), "<b>坏").parse_mode(ParseMode::Html).await.unwrap_err();
    assert!(e.to_string().to_lowercase().contains("can't parse entities"), "{e}");
    let e = bot.send_message(ChatId(WORKER), "字".repeat(4097)).await.unwrap_err();
    assert!(e.to_string().contains("too long"), "{e}");
    let long = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("x", "f".repeat(65))]]);
    assert!(bot.send_message(ChatId(WORKER), "x").reply_markup(long).await.is_err());
    assert!(bot.send_message(ChatId(99), "x").await.is_err(), "unknown chat");
    let wrong = Bot::new("1:wrong").set_api_url(url::Url::parse(&fake.url).unwrap());
    assert!(wrong.get_me().await.is_err(), "wrong token");
    assert_eq!(fake.refused().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_edit_of_the_knowledge_is_reported_to_the_admins() {
    let knowledge = knowledge_copy();
    let bot = spawn_bot(knowledge.path().to_path_buf(), None).await;
    let faq = knowledge.path().join("faq.yaml");
    let good = std::fs::read_to_string(&faq).unwrap();
    std::fs::write(&faq, format!("{good}\n- id: [broken\n")).unwrap();
    let sent = bot.fake.wait_for_sent(ADMIN, 1).await;
    assert!(sent[0].text().starts_with("这次修改没有生效"), "in Chinese: {}", sent[0].text());
    assert!(sent[0].text().contains("faq.yaml"), "{}", sent[0].text());
    // The last good knowledge keeps serving.
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "怎么入会");
    let sent = bot.fake.wait_for_sent(WORKER, 1).await;
    assert!(sent[0].text().contains("i会员"));
    // A good edit goes live without a word to the admins.
    std::fs::write(&faq, good.replace("用手机就能入会", "用手机就可以入会")).unwrap();
    bot.fake.text(&chat, &from, "/start");
    bot.fake.wait_for_sent(WORKER, 2).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        bot.fake.text(&chat, &from, "怎么入会");
        let n = bot.fake.sent_to(WORKER).len() + 1;
        let sent = bot.fake.wait_for_sent(WORKER, n).await;
        if sent[n - 1].text().contains("用手机就可以入会") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the good edit never went live");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let fake = bot.stop().await;
    assert_eq!(fake.sent_to(ADMIN).len(), 1, "only the refused edit is reported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_webhook_the_bot_answers_what_telegram_posts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bot = spawn_bot(knowledge_dir(), Some(port)).await;
    let set = bot.fake.calls().into_iter().find(|c| c.method == "setWebhook").unwrap();
    assert_eq!(set.params["url"], json!(format!("http://127.0.0.1:{port}/telegram/hook")));
    assert!(set.params["secret_token"].as_str().is_some_and(|t| t.len() >= 16), "a secret token: {:?}", set.params);
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "怎么入会");
    let sent = bot.fake.wait_for_sent(WORKER, 1).await;
    assert!(sent[0].text().contains("i会员"));
    bot.fake.press(&from, sent[0].result.as_ref().unwrap(), "faq_hotline");
    let sent = bot.fake.wait_for_sent(WORKER, 2).await;
    assert!(sent[1].text().contains("12351"));
    bot.stop().await;
}

// ---------------------------------------------------------------- the binary

/// The real binary, started like a deployment: token and API URL in the
/// environment, a scripted conversation, then SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_a_conversation_and_stops_on_sigterm() {
    let fake = FakeTelegram::start().await;
    fake.know_chat(&tg::private_chat(ADMIN, "管理员"));
    let data = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap(); // no .env here
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_union-bot"))
        .arg("telegram")
        .current_dir(cwd.path())
        .env("TELOXIDE_TOKEN", tg::TOKEN)
        .env("TELOXIDE_API_URL", &fake.url)
        .env("ADMIN_IDS", ADMIN.to_string())
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .env("DATA_DIR", data.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start union-bot telegram");
    let mut stderr = child.stderr.take().unwrap();
    let log = tokio::spawn(async move {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s).await;
        s
    });

    let (chat, from) = worker();
    fake.text(&chat, &from, "/start");
    fake.text(&chat, &from, "怎么入会");
    fake.location(&chat, &from, 40.3162, 116.6325, false);
    fake.sticker(&chat, &from);
    fake.text(&chat, &from, "/reload");
    let sent = fake.wait_for_sent(WORKER, 6).await;
    assert_eq!(sent[0].text(), reply::greeting());
    assert!(sent[1].text().contains("i会员"));
    assert_eq!(sent[3].method, "sendVenue");
    assert_eq!(sent[4].text(), reply::unsupported_message());
    assert_eq!(sent[5].text(), reply::not_available());
    fake.press(&from, sent[1].result.as_ref().unwrap(), "faq_join-who");
    fake.wait_for_sent(WORKER, 7).await;
    fake.wait_until_received().await;

    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.expect("exits within 10 s of SIGTERM").unwrap();
    let log = log.await.unwrap();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");

    // The last update was acknowledged: a restart would not see it again.
    assert!(fake.acknowledged_on_stop(), "no acknowledgement on stop; log:\n{log}");
    assert!(fake.unanswered_callbacks().is_empty());
    assert!(fake.refused().is_empty(), "{:#?}", fake.refused());

    // One line per update, with a hashed user and the intent; never the
    // token, the raw user id, the question or the position.
    let update_lines: Vec<&str> = log.lines().filter(|l| l.contains(" update update=")).collect();
    assert_eq!(update_lines.len(), 6, "log:\n{log}");
    assert!(update_lines.iter().all(|l| l.contains(" user=") && l.contains(" intent=") && l.contains(" ms=")), "log:\n{log}");
    assert!(update_lines.iter().any(|l| l.contains("intent=faq_join-how")), "log:\n{log}");
    for secret in [tg::TOKEN, "TEST-fake_token", &WORKER.to_string(), "怎么入会", "40.3162", "116.6325"] {
        assert!(!log.contains(secret), "the log shows {secret:?}:\n{log}");
    }
}

/// At the default log level the bot says one thing when it serves: the
/// "ready" line (who, how, what it knows, how to stop). An admin who has not
/// opened the bot yet is the normal state, not a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_default_level_the_binary_prints_one_ready_line() {
    let fake = FakeTelegram::start().await; // the admin's chat is unknown to it
    let data = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap(); // no .env here
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_union-bot"))
        .arg("telegram")
        .current_dir(cwd.path())
        .env("TELOXIDE_TOKEN", tg::TOKEN)
        .env("TELOXIDE_API_URL", &fake.url)
        .env("ADMIN_IDS", ADMIN.to_string())
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .env("DATA_DIR", data.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start union-bot telegram");
    let mut stderr = child.stderr.take().unwrap();
    let log = tokio::spawn(async move {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s).await;
        s
    });
    fake.wait_for("the first getUpdates", Duration::from_secs(60), |calls| calls.iter().any(|c| c.method == "getUpdates")).await;
    let pid = child.id().expect("running");
    assert!(std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.expect("exits within 10 s of SIGTERM").unwrap();
    let log = log.await.unwrap();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 1, "one line:\n{log}");
    let ready = lines[0];
    for part in [&format!("ready: @{}", tg::BOT_USERNAME), "long polling", "FAQ entries", "stations", "articles", "1 admin (1 not yet opened the bot)", "Ctrl-C"] {
        assert!(ready.contains(part), "{part:?} missing: {ready}");
    }
    assert!(!ready.contains("WARN") && !ready.contains(tg::TOKEN), "{ready}");
}

#[test]
fn the_binary_without_a_token_says_so_and_exits_2() {
    let cwd = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_union-bot"))
        .arg("telegram")
        .current_dir(cwd.path())
        .env_remove("TELOXIDE_TOKEN")
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .output()
        .expect("run union-bot telegram");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("TELOXIDE_TOKEN is not set"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Not a test: a fake Telegram to talk to by hand (see README, "Telegram
/// bot"). Lines typed on stdin are a worker's messages; `!loc <lat> <lon>`
/// shares a location, `!sticker` sends a sticker, `!press <n>` presses the
/// n-th button under the bot's last message with buttons. The bot's requests
/// are printed as they arrive, buttons by their labels as a worker sees them
/// (the reply keyboard below the input field too: type a label to press it).
/// Ends at end of input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "interactive: run by hand, see README"]
async fn try_the_bot_by_hand() {
    use tokio::io::AsyncBufReadExt;
    let port = std::env::var("FAKE_TELEGRAM_PORT").unwrap_or_else(|_| "8081".into());
    let fake = FakeTelegram::start_on(&format!("127.0.0.1:{port}")).await;
    println!("fake Telegram on {}; in another terminal:", fake.url);
    println!(
        "  TELOXIDE_TOKEN='{}' TELOXIDE_API_URL={} ADMIN_IDS={WORKER} DATA_DIR=/tmp/union-bot-data cargo run --release -- telegram",
        tg::TOKEN,
        fake.url
    );
    println!("then type messages here (/start, 怎么入会, !loc 40.3162 116.6325, !sticker, !press 1, /stats; Ctrl-D ends)");
    let (chat, from) = worker();
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut shown = 0;
    let mut last_buttons: Vec<(Value, String)> = Vec::new();
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Ok(Some(line)) = line else { break };
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    [] => {}
                    ["!loc", lat, lon] => match (lat.parse(), lon.parse()) {
                        (Ok(lat), Ok(lon)) => { fake.location(&chat, &from, lat, lon, false); }
                        _ => println!("usage: !loc <lat> <lon>"),
                    },
                    ["!sticker"] => { fake.sticker(&chat, &from); }
                    ["!press", n] => match n.parse::<usize>().ok().and_then(|n| last_buttons.get(n.wrapping_sub(1))) {
                        Some((message, data)) => { fake.press(&from, message, data); }
                        None => println!("no button {n}"),
                    },
                    _ => { fake.text(&chat, &from, &line); }
                }
            }
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        let calls = fake.calls();
        for c in calls.iter().skip(shown).filter(|c| c.method != "getUpdates") {
            match &c.error {
                Some(e) => println!("<< {} REFUSED: {e}", c.method),
                None if c.method == "sendVenue" => println!("<< 📍 {} ({})", c.params["title"], c.params["address"]),
                None => println!("<< {} {}", c.method, c.text()),
            }
            for line in shown_buttons(c) {
                println!("   {line}");
            }
            let data: Vec<String> = callback_data(c);
            if !data.is_empty()
                && let Some(message) = &c.result
            {
                last_buttons = data.into_iter().map(|d| (message.clone(), d)).collect();
            }
        }
        shown = calls.len();
    }
}

// ---- issue 11: follow-ups in context, small talk

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_is_answered_from_the_last_answer_of_the_same_chat() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    bot.fake.text(&chat, &from, "富商市场的驿站");
    let sent = bot.fake.wait_for_sent(WORKER, 2).await;
    assert!(sent[0].text().contains("富商市场"), "{}", sent[0].text());
    // "几点开门" names no topic: it is about the station just answered.
    bot.fake.text(&chat, &from, "几点开门");
    let sent = bot.fake.wait_for_sent(WORKER, 4).await;
    let followup = sent[2].text();
    assert!(followup.contains("富商市场") && followup.contains("开放时间"), "{followup}");
    assert_eq!(sent[3].method, "sendVenue", "its pin again");
    // Another chat asking the same has no such context: not 富商市场's answer.
    let other = tg::private_chat(WORKER + 1, "小李");
    bot.fake.text(&other, &tg::user(WORKER + 1, "小李"), "几点开门");
    let theirs = bot.fake.wait_for_sent(WORKER + 1, 1).await;
    assert!(!theirs[0].text().starts_with("富商市场"), "{}", theirs[0].text());
    // "那海淀呢" after a district's figure is Haidian's figure.
    bot.fake.text(&chat, &from, "朝阳有几个驿站");
    let sent = bot.fake.wait_for_sent(WORKER, 5).await;
    assert!(sent[4].text().contains("2178"), "{}", sent[4].text());
    bot.fake.text(&chat, &from, "那海淀呢");
    let sent = bot.fake.wait_for_sent(WORKER, 6).await;
    assert!(sent[5].text().contains("2394"), "{}", sent[5].text());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thanks_gets_a_short_warm_reply_with_the_menu_and_is_not_unanswered() {
    let bot = spawn_bot(knowledge_dir(), None).await;
    let (chat, from) = worker();
    for (i, (said, reply)) in [("谢谢！", reply::thanks()), ("好的", reply::okay()), ("拜拜", reply::goodbye())].into_iter().enumerate() {
        bot.fake.text(&chat, &from, said);
        let sent = bot.fake.wait_for_sent(WORKER, i + 1).await;
        let text = sent[i].text();
        assert!(text.starts_with(reply), "{said}: {text}");
        assert!(!text.contains(reply::greeting()), "{said}: not the self-introduction");
        assert!(callback_data(&sent[i]).iter().any(|d| d == "faq_join-how"), "{said}: the menu of topics");
    }
    // A question it cannot answer is logged; the small talk is not.
    bot.fake.text(&chat, &from, "火星上今天下雨吗");
    bot.fake.wait_for_sent(WORKER, 4).await;
    bot.fake.text(&tg::private_chat(ADMIN, "管理员"), &tg::user(ADMIN, "管理员"), "/unanswered");
    let sent = bot.fake.wait_for_sent(ADMIN, 1).await;
    let report = sent.last().expect("the report").text();
    assert!(report.contains("火星上今天下雨吗"), "{report}");
    assert!(!report.contains("谢谢") && !report.contains("好的") && !report.contains("拜拜"), "{report}");
    bot.stop().await;
}
