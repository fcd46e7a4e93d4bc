//! Every sentence the web page shows, beside [`crate::reply`] (which says
//! what the bot answers; the page shows those answers as they are). The
//! server fills the page's template with [`PAGE`] and hands the script the
//! same table as `T`, so the page's Chinese text lives here and nowhere else.
//!
//! Keys are ASCII; values are plain text (the page inserts them as text, the
//! template HTML-escapes them).

use crate::reply::HOTLINE;

/// The page's sentences, key → text. `{}` in a value is filled by the script
/// (a station's name, a distance).
pub const PAGE: &[(&str, &str)] = &[
    ("lang", "zh-CN"),
    ("title", "工会小助手"),
    ("subtitle", "北京工会服务问答"),
    ("input_placeholder", "直接打字提问，如：怎么入会"),
    ("input_label", "您的问题"),
    ("send", "发送"),
    ("locate", "📍 附近驿站"),
    ("locate_label", "用我的位置找附近的工会驿站"),
    ("call", "📞 12351"),
    ("call_label", "拨打北京工会12351职工服务热线"),
    ("clear", "清空记录"),
    ("clear_label", "清空这台手机上保存的对话记录"),
    ("clear_confirm", "清空这台手机上保存的对话记录吗？"),
    ("cleared", "对话记录已清空。"),
    ("typing", "正在输入…"),
    ("typing_label", "小助手正在回答"),
    ("you_said", "您"),
    ("bot_said", "小助手"),
    ("helpful", "👍"),
    ("helpful_label", "这个回答有帮助"),
    ("not_helpful", "👎"),
    ("not_helpful_label", "这个回答没帮助"),
    ("thanks", "谢谢您的反馈！"),
    ("chips_label", "您可以点："),
    ("amap", "高德地图打开"),
    ("baidu", "百度地图打开"),
    ("open_now", "现在开放"),
    ("closed_now", "现在未开放"),
    ("hours", "开放时间："),
    ("hours_unknown", "开放时间：报道未写明，可拨打12351确认"),
    ("services", "服务："),
    // As reply::expected_services words it: what stations generally offer, never this one's own.
    ("expected_services_more", "一般驿站还提供{}，具体请问12351。"),
    ("expected_services_only", "服务：报道没写这个站具体有什么。一般驿站提供{}，具体请问12351。"),
    ("address", "地址："),
    ("approximate", "（位置为大致估计）"),
    ("nearby_here", "就在附近"),
    ("you_are_at", "您在：{}"),
    ("station_unknown", "没有找到这个驿站，可能已经更新。您可以直接打字提问，或点“📍 附近驿站”。"),
    ("locating", "正在获取您的位置…"),
    ("geo_insecure", "这个网页不是用安全连接（https）打开的，手机不给它位置。请直接打字说您在哪儿，比如“我在望京”。"),
    ("geo_denied", "没有拿到您的位置（可能是没有允许）。可以在浏览器设置里允许位置，或直接打字说您在哪儿，比如“我在望京”。"),
    ("geo_failed", "暂时获取不到位置。请直接打字说您在哪儿，比如“我在望京”。"),
    ("geo_unsupported", "这个浏览器不支持获取位置。请直接打字说您在哪儿，比如“我在望京”。"),
    ("network_error", "网络不太好，没有连上。请稍后再试，着急的话可以拨打12351。"),
    ("too_fast", "您发得太快啦，请稍等一会儿再问。"),
    ("too_long", "问题太长了，请简短一点再发。"),
    ("welcome", "您好！我是工会小助手，可以回答北京工会的服务问题：找工会驿站、怎么入会、互助保障、法律援助、12351热线等。直接打字提问，或点下面的按钮。"),
    ("noscript", "这个页面需要开启JavaScript才能使用。也可以直接拨打北京工会12351职工服务热线。"),
];

/// Looks a page sentence up; a missing key is a bug caught by the tests.
pub fn get(key: &str) -> &'static str {
    PAGE.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or("")
}

/// The line naming an answer's sources, as the bot writes it.
pub fn source_line(titles: &[String]) -> String {
    let titles: Vec<String> = titles.iter().map(|t| format!("《{t}》")).collect();
    format!("来源：{}", titles.join("；"))
}

/// Errors of the HTTP API: stable code → the human message.
pub fn api_error(code: &str) -> String {
    match code {
        "bad_json" => "请求体不是有效的JSON。".into(),
        "no_question" => "请提供问题（q）。".into(),
        "too_large" => "请求体太大（最多16KB）。".into(),
        "rate_limited" => "请求太频繁，请稍后再试。".into(),
        "bad_location" => "请提供有效的纬度和经度（lat、lon，WGS-84）。".into(),
        "unknown_ref" => "没有这个回答，可能知识库已经更新。".into(),
        "bad_context" => "context 应为上一个回答的 context（如 faq_join-how），或不填。".into(),
        "bad_vote" => "vote 只能是 up 或 down。".into(),
        "unknown_key" => "这个反馈编号已过期或不存在。".into(),
        "not_found" => "没有这个地址。".into(),
        "method_not_allowed" => "不支持这种请求方法。".into(),
        "timeout" => "请求超时，请重试。".into(),
        "unsupported_media_type" => "请求体应为JSON（Content-Type: application/json）。".into(),
        "not_ready" => "知识库还没加载好，请稍后再试。".into(),
        _ => format!("抱歉，服务出了点问题，请稍后再试。着急的话可以拨打{HOTLINE}。"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_ascii() {
        let mut seen = std::collections::HashSet::new();
        for (k, v) in PAGE {
            assert!(k.is_ascii(), "{k}");
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!v.is_empty(), "{k} is empty");
        }
    }
}
