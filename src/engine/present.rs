//! Presenting: turning what was decided into an [`Answer`]: the entry's
//! answer or the passage's window with their sources, the suggestions and
//! follow-ups as labels with their references, a station's details. No
//! sentence is made here: [`crate::reply`] says it all.

use std::ops::Range;

use crate::knowledge::STATIONS_FILE;
use crate::text;

use super::decide::{Cand, Decision};
use super::{Answer, Engine, Kind, Ref, Source, SourceKind, StationHit, Suggestion};

impl Engine {
    /// The answer a decision makes; `windows` are the passages' best windows.
    pub(super) fn present(&self, decision: Decision, windows: &[(usize, Range<usize>)]) -> Answer {
        match decision {
            Decision::Answer { top, score, confident, suggestions } => {
                let mut answer = match top {
                    Cand::Faq(i) => self.faq_answer(i, score, confident),
                    Cand::Passage(pid) => self.passage_answer(pid, windows.iter().find(|(p, _)| *p == pid).map(|(_, w)| w.clone()), score, confident),
                };
                answer.suggestions = suggestions.into_iter().map(|c| self.suggestion(c)).collect();
                answer
            }
            Decision::Fallback { score, suggestions } => {
                let mut a = Answer::new(Kind::Fallback, None);
                a.score = score;
                a.suggestions = suggestions.into_iter().map(|c| self.suggestion(c)).collect();
                if a.suggestions.is_empty() {
                    a.suggestions = self.default_suggestions();
                }
                a
            }
        }
    }

    /// The reply to an empty question, a greeting or small talk: the default topics.
    pub(super) fn opening(&self, kind: Kind) -> Answer {
        let sure = matches!(kind, Kind::Greeting | Kind::Thanks | Kind::Okay | Kind::Goodbye);
        let mut a = if sure { Answer::sure(kind, None) } else { Answer::new(kind, None) };
        a.suggestions = self.default_suggestions();
        a
    }

    fn suggestion(&self, c: Cand) -> Suggestion {
        match c {
            Cand::Faq(i) => {
                let e = &self.knowledge.faq[i];
                Suggestion::faq(&e.id, e.topic.clone())
            }
            Cand::Passage(pid) => {
                let a = &self.knowledge.articles[self.passages[pid].article];
                Suggestion::new(&Ref::Article(a.id.clone()), text::clip(&a.title, 20))
            }
        }
    }

    /// The topics offered when nothing closer is known: joining, stations, the hotline.
    pub fn default_suggestions(&self) -> Vec<Suggestion> {
        let wanted = ["join-how", "station-nearby", "hotline", "help"];
        let mut out: Vec<Suggestion> = wanted
            .iter()
            .filter_map(|id| self.knowledge.faq.iter().find(|e| e.id == *id))
            .map(|e| Suggestion::faq(&e.id, e.topic.clone()))
            .collect();
        if out.is_empty() {
            out = self.knowledge.faq.iter().take(3).map(|e| Suggestion::faq(&e.id, e.topic.clone())).collect();
        }
        out
    }

    fn article_source(&self, article_id: &str) -> Option<Source> {
        let a = &self.knowledge.articles[*self.article_by_id.get(article_id)?];
        Some(Source { kind: SourceKind::Article, title: a.title.clone(), path: a.path.clone() })
    }

    pub(super) fn faq_answer(&self, i: usize, score: f32, confident: bool) -> Answer {
        let e = &self.knowledge.faq[i];
        let mut a = Answer::new(Kind::Faq, Some(Ref::Faq(e.id.clone())));
        a.confident = confident;
        a.score = score;
        a.title = Some(e.topic.clone());
        a.body = e.answer.trim().to_string();
        a.sources = e.sources.iter().filter_map(|s| self.article_source(s)).collect();
        a.follow_ups = e
            .follow_ups
            .iter()
            .filter_map(|f| self.faq_by_id.get(f.as_str()).map(|&i| &self.knowledge.faq[i]))
            .map(|f| Suggestion::faq(&f.id, f.topic.clone()))
            .collect();
        a
    }

    pub(super) fn passage_answer(&self, pid: usize, window: Option<Range<usize>>, score: f32, confident: bool) -> Answer {
        let p = &self.passages[pid];
        let article = &self.knowledge.articles[p.article];
        let para = &article.paragraphs[p.paragraph];
        let snippet = match window {
            Some(r) if r.end <= para.len() && para.is_char_boundary(r.start) && para.is_char_boundary(r.end) => &para[r],
            _ => first_sentences(para, 2),
        };
        let mut a = Answer::new(Kind::Article, Some(Ref::Article(article.id.clone())));
        a.confident = confident;
        a.score = score;
        a.title = Some(article.title.clone());
        a.body = snippet.trim().to_string();
        a.sources = vec![Source { kind: SourceKind::Article, title: article.title.clone(), path: article.path.clone() }];
        a
    }

    pub(super) fn station_answer(&self, i: usize, minute: u16) -> Answer {
        let s = &self.knowledge.stations[i];
        let mut a = Answer::sure(Kind::Station, Some(Ref::Station(s.id.clone())));
        a.title = Some(s.name.clone());
        a.body = s.description.clone();
        a.stations.push(self.hit(i, None, minute));
        self.cite_stations(&mut a);
        a
    }

    /// Station `i` as listed, `distance` metres away (when known), open or
    /// not at `minute` (after midnight, Beijing time).
    pub(super) fn hit(&self, i: usize, distance: Option<f64>, minute: u16) -> StationHit {
        let s = &self.knowledge.stations[i];
        StationHit {
            id: s.id.clone(),
            name: s.name.clone(),
            address: s.address.clone(),
            district: s.district.clone(),
            distance_m: distance.filter(|_| s.locatable()).map(|d| d.round()),
            lat: s.lat,
            lon: s.lon,
            hours: crate::geo::hours_shown(s.hours.as_deref(), s.hours_text.as_deref()),
            open_now: s.parsed_hours.map(|h| h.is_open_at(minute)),
            services: s.services.clone(),
            expected_services: s.expected_services.clone(),
            approximate: s.precision.is_approximate(),
            locatable: s.locatable(),
        }
    }

    /// Cites what the listed stations come from: the articles that name
    /// them, the station lists they were imported from.
    pub(super) fn cite_stations(&self, a: &mut Answer) {
        for h in &a.stations {
            if let Some(s) = self.station_by_id.get(&h.id).map(|&i| &self.knowledge.stations[i]) {
                if let Some(file) = &s.source_file {
                    let source = Source { kind: SourceKind::StationList, title: file.clone(), path: format!("knowledge/{STATIONS_FILE}") };
                    if !a.sources.contains(&source) {
                        a.sources.push(source);
                    }
                }
                for src in &s.sources {
                    if let Some(source) = self.article_source(src)
                        && !a.sources.contains(&source)
                    {
                        a.sources.push(source);
                    }
                }
            }
        }
    }
}

/// The first `n` sentences of a paragraph.
fn first_sentences(para: &str, n: usize) -> &str {
    match text::sentences(para).into_iter().take(n).last() {
        Some(last) => &para[..last.as_ptr() as usize - para.as_ptr() as usize + last.len()],
        None => para,
    }
}
