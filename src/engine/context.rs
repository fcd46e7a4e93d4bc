//! Follow-ups in context: the question after an answer, read with what that
//! answer was about ([`Answer::context`]: a station, a FAQ entry, a
//! district). A follow-up that names no topic of its own is resolved against
//! it; a question that names its own topic (or a station, or a place where
//! that is what it asks about) is answered as it would be alone.
//!
//! | context | follow-up | answer |
//! |---|---|---|
//! | a station | no topic ("几点开门", "它在哪", "怎么走") | that station: address, hours (open now), services |
//! | a station | asks for a station with a service ("有充电的吗", "旁边还有吗") | the stations around it, those that fit first |
//! | a district | no topic, a figure, a station or a service ("有几个", "有充电的吗") | the question asked about that district |
//! | a FAQ entry | no topic ("要钱吗", "在哪办") | the question asked within the entry's topic, when that is answered confidently |
//! | a FAQ entry | only a place ("那海淀呢") | the entry's topic with its place swapped (or the place added), when that gives another entry confidently |
//!
//! Anything else, and whatever a resolution would not answer confidently, is
//! answered as the question alone; so is a question for the stations near the
//! worker ("附近有驿站吗" asks for their location, not the last station's). Without a context nothing here runs.

use crate::geo;
use crate::knowledge::Place;
use crate::text;

use super::route::Route;
use super::{Answer, Engine, Kind, Ref};

impl Engine {
    /// Answers a question of a conversation whose last answer was about
    /// `context` (that answer's [`Answer::context`]), at the current Beijing
    /// time. Without a context, exactly [`Engine::answer`].
    pub fn answer_in_context(&self, question: &str, context: Option<&Ref>) -> Answer {
        self.answer_in_context_at(question, context, geo::beijing_minute_now())
    }

    /// [`Engine::answer_in_context`]; `minute` (after midnight, Beijing time) decides "open now".
    pub fn answer_in_context_at(&self, question: &str, context: Option<&Ref>, minute: u16) -> Answer {
        let Some(context) = context else {
            return self.answer_at(question, minute);
        };
        let mut answer = self.follow_up(question, context, minute).unwrap_or_else(|| self.answer_at(question, minute));
        // Thanks, a greeting or a blank message do not end the conversation:
        // the question after "谢谢" may still lean on the station before it.
        if answer.is_small_talk() || matches!(answer.kind, Kind::Greeting | Kind::Blank | Kind::Empty) {
            answer.context = Some(context.clone());
        }
        answer
    }

    /// The answer to `question` resolved against `context`, or `None` when
    /// the question is to be answered alone.
    fn follow_up(&self, question: &str, context: &Ref, minute: u16) -> Option<Answer> {
        let question = text::clip(question, text::MAX_QUESTION_CHARS);
        if text::is_blank(question) {
            return None;
        }
        let norm = text::normalize(question);
        let norm = self.repairer.repair(&norm);
        let place = self.place_finder.find(&norm).map(|i| &self.knowledge.places[i]);
        // Empty, small talk, a greeting, a station named, stations near the
        // worker ("附近有驿站吗": their own location is meant): the question stands alone.
        let route = self.route(&norm, place, false);
        if !matches!(route, Route::Match { .. } | Route::Place(_)) {
            return None;
        }
        let cues = self.cues.read(&norm);
        let own_topic = self.names_own_topic(&norm, place);
        // "有充电的吗", "哪有喝水的", "旁边还有吗": stations, around the one just answered.
        let wants_stations = (cues.station && (cues.exists || cues.where_)) || (cues.nearby && !cues.station);
        match context {
            Ref::Station(id) => {
                let i = *self.station_by_id.get(id)?;
                if place.is_some() {
                    None
                } else if wants_stations && !cues.counting {
                    Some(self.around_station(i, &norm, minute))
                } else if !own_topic {
                    Some(self.station_answer(i, minute))
                } else {
                    None
                }
            }
            Ref::District(id) => {
                // About the district's stations or figures ("有几个", "有充电的吗");
                // "几点开门" after a district's list is not about the district.
                let district = self.district_place(id)?;
                if place.is_some() || !(cues.station || cues.counting || cues.nearby) {
                    return None;
                }
                self.confident_answer(&format!("{} {norm}", district.name), minute)
            }
            Ref::Faq(id) => {
                if own_topic {
                    return None;
                }
                let entry = self.knowledge.faq_entry(id)?;
                let topic = text::normalize(&entry.topic);
                let same = context.to_string();
                let other = |a: &Answer| a.intent.as_deref() != Some(same.as_str());
                match place {
                    // "那海淀呢" after 朝阳区驿站数量: the same question about 海淀,
                    // answered by an entry of the same topic (海淀区驿站数量).
                    Some(p) => match self.place_finder.find(&topic).map(|i| &self.knowledge.places[i]) {
                        Some(q) if q.name != p.name => {
                            let shape = strip_place(&topic, q);
                            self.confident_answer(&swap_place(&topic, q, &p.name), minute).filter(|a| other(a) && self.same_topic_in(a, &shape, p))
                        }
                        Some(_) => None,
                        // "那怀柔呢" after 怎么入会: the question asked about 怀柔.
                        None => self.confident_answer(&format!("{} {topic}", p.name), minute).filter(other),
                    },
                    // "要钱吗" after 怎么入会: asked within the topic; the entry
                    // itself again means the follow-up added nothing it answers.
                    None => self.confident_answer(&format!("{} {norm}", self.types.strip(&topic)), minute).filter(other),
                }
            }
            Ref::Article(_) | Ref::Passage { .. } => None,
        }
    }

    /// The answer to a question the engine composed, when it is a confident
    /// answer from the knowledge (not small talk, not a fallback).
    fn confident_answer(&self, question: &str, minute: u16) -> Option<Answer> {
        let a = self.answer_at(question, minute);
        (a.confident && matches!(a.kind, Kind::Faq | Kind::Article | Kind::Station | Kind::Nearby)).then_some(a)
    }

    /// Whether a normalised question names a topic of its own besides the
    /// place it names: a word that is not a question word (几点, 哪里, 多少)
    /// nor a context word (骑手, 手机). "几点开门", "它在哪", "那海淀呢" name none.
    fn names_own_topic(&self, norm: &str, place: Option<&Place>) -> bool {
        let rest = match place {
            Some(p) => strip_place(norm, p),
            None => norm.to_string(),
        };
        let (_, groups) = self.analyzer.question_normalized(&rest);
        groups.iter().any(|g| !self.question_words.contains(&g.full) && !self.context_words.contains(&g.full))
    }

    /// Whether `a` is a FAQ entry whose topic, without the place `p`, is `shape`.
    fn same_topic_in(&self, a: &Answer, shape: &str, p: &Place) -> bool {
        let topic = a.intent.as_deref().and_then(|i| i.parse::<Ref>().ok()).and_then(|r| match r {
            Ref::Faq(id) => self.knowledge.faq_entry(&id).map(|e| text::normalize(&e.topic)),
            _ => None,
        });
        topic.is_some_and(|t| strip_place(&t, p).trim() == shape.trim())
    }

    /// The district of places.yaml whose `id` is `id`.
    pub(super) fn district_place(&self, id: &str) -> Option<&Place> {
        self.knowledge.places.iter().find(|p| p.is_district() && p.id.as_deref() == Some(id))
    }

    /// The context a list of stations leaves: a district's, when the list is
    /// a district's; otherwise the first station listed.
    pub(super) fn list_context(&self, a: &Answer, district: Option<&Place>) -> Option<Ref> {
        match district.and_then(|d| d.id.clone()) {
            Some(id) => Some(Ref::District(id)),
            None => a.stations.first().map(|h| Ref::Station(h.id.clone())),
        }
    }
}

/// `norm` without the place's name and aliases (the longest first).
fn strip_place(norm: &str, p: &Place) -> String {
    let mut names: Vec<String> = std::iter::once(&p.name).chain(&p.aliases).map(|n| text::normalize(n)).filter(|n| !n.is_empty()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.iter().fold(norm.to_string(), |acc, n| acc.replace(n.as_str(), " "))
}

/// `topic` with the place `q` it names replaced by `by`.
fn swap_place(topic: &str, q: &Place, by: &str) -> String {
    let mut names: Vec<String> = std::iter::once(&q.name).chain(&q.aliases).map(|n| text::normalize(n)).filter(|n| !n.is_empty()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    match names.iter().find(|n| topic.contains(n.as_str())) {
        Some(n) => topic.replacen(n.as_str(), by, 1),
        None => format!("{by} {topic}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Half past ten in the morning: the Fushang station (9:00–18:00) is open.
    const MORNING: u16 = 10 * 60 + 30;

    fn engine() -> Engine {
        let (k, _) = crate::sample::seed_and_regression_questions();
        Engine::in_ram(k).expect("engine")
    }

    fn station(id: &str) -> Ref {
        Ref::Station(id.into())
    }

    #[test]
    fn a_station_answer_leaves_the_station_as_context() {
        let e = engine();
        let a = e.answer_at("富商市场的驿站", MORNING);
        assert_eq!(a.kind, Kind::Station);
        assert_eq!(a.context, Some(station("huairou-fushang")));
    }

    #[test]
    fn after_a_station_its_hours_and_address_are_the_followups_answer() {
        let e = engine();
        let fushang = station("huairou-fushang");
        for q in ["几点开门", "开到几点", "它在哪", "怎么走", "在哪儿"] {
            let a = e.answer_in_context_at(q, Some(&fushang), MORNING);
            assert_eq!(a.kind, Kind::Station, "{q}");
            assert_eq!(a.intent.as_deref(), Some("station_huairou-fushang"), "{q}");
            assert_eq!(a.stations[0].hours.as_deref().map(|h| h.contains('9')), Some(true), "{q}");
        }
        // Alone, "几点开门" is not about 富商市场.
        assert_ne!(e.answer_at("几点开门", MORNING).intent.as_deref(), Some("station_huairou-fushang"));
    }

    #[test]
    fn after_a_station_a_service_asked_for_lists_the_stations_around_it() {
        let e = engine();
        let a = e.answer_in_context_at("有充电的吗", Some(&station("huairou-fushang")), MORNING);
        assert_eq!(a.kind, Kind::Nearby);
        assert!(a.place.as_deref().is_some_and(|p| p.contains("富商")), "{:?}", a.place);
        assert!(a.stations[0].services.iter().any(|s| s.contains("充电")), "{:?}", a.stations[0]);
    }

    #[test]
    fn after_a_district_figure_another_district_gets_its_figure() {
        let e = engine();
        let first = e.answer_at("朝阳有几个驿站", MORNING);
        assert_eq!(first.intent.as_deref(), Some("faq_count-chaoyang"));
        let a = e.answer_in_context_at("那海淀呢", first.context.as_ref(), MORNING);
        assert_eq!(a.intent.as_deref(), Some("faq_count-haidian"));
        // Alone, "那海淀呢" lists Haidian's stations.
        assert_eq!(e.answer_at("那海淀呢", MORNING).kind, Kind::Nearby);
    }

    #[test]
    fn a_district_list_leaves_the_district_and_followups_ask_about_it() {
        let e = engine();
        let first = e.answer_at("朝阳有驿站吗", MORNING);
        assert_eq!(first.kind, Kind::Nearby);
        assert_eq!(first.context, Some(Ref::District("chaoyang".into())));
        let a = e.answer_in_context_at("有几个", first.context.as_ref(), MORNING);
        assert_eq!(a.intent.as_deref(), Some("faq_count-chaoyang"));
        let a = e.answer_in_context_at("那海淀呢", first.context.as_ref(), MORNING);
        assert_eq!((a.kind, a.place.as_deref()), (Kind::Nearby, Some("海淀区")));
    }

    #[test]
    fn a_question_with_its_own_topic_ignores_the_context() {
        let e = engine();
        let fushang = station("huairou-fushang");
        for q in ["怎么入会", "工会电话多少", "欠薪怎么办", "望京有驿站吗", "附近有驿站吗"] {
            let alone = e.answer_at(q, MORNING);
            let after = e.answer_in_context_at(q, Some(&fushang), MORNING);
            assert_eq!((after.kind, after.intent.clone()), (alone.kind, alone.intent.clone()), "{q}");
        }
    }

    #[test]
    fn without_a_context_the_answer_is_the_plain_one() {
        let e = engine();
        for q in ["几点开门", "怎么入会", "那海淀呢", "谢谢"] {
            let (a, b) = (e.answer_at(q, MORNING), e.answer_in_context_at(q, None, MORNING));
            assert_eq!((a.kind, a.intent, a.score.to_bits()), (b.kind, b.intent, b.score.to_bits()), "{q}");
        }
    }

    #[test]
    fn small_talk_keeps_the_context_and_a_stale_one_is_ignored() {
        let e = engine();
        let fushang = station("huairou-fushang");
        let a = e.answer_in_context_at("谢谢", Some(&fushang), MORNING);
        assert_eq!((a.kind, a.context.as_ref()), (Kind::Thanks, Some(&fushang)));
        // A station or entry removed by a reload: the question is answered alone.
        for gone in [station("no-such-station"), Ref::Faq("gone".into()), Ref::District("atlantis".into())] {
            let a = e.answer_in_context_at("几点开门", Some(&gone), MORNING);
            assert_eq!(a.intent, e.answer_at("几点开门", MORNING).intent, "{gone}");
        }
    }
}
