//! Looking inside the engine, for people and tools rather than workers: how a
//! question is read and scored (`ask --explain`), every FAQ entry's score
//! (`check`'s routing test), the article search on its own, and counters for
//! the benchmark. Nothing here changes an answer.

use std::sync::atomic::Ordering;

use crate::text;

use super::passages::Scratch;
use super::{Engine, Ref};

impl Engine {
    /// How many questions needed the article search so far (the others were
    /// decided by a FAQ entry no passage could reach; for benchmarks).
    pub fn article_searches(&self) -> u64 {
        self.searches.load(Ordering::Relaxed)
    }

    /// The articles whose passages best match a question, best first, as
    /// (article id, paragraph, score): the article search on its own.
    pub fn search_articles(&self, question: &str, limit: usize) -> Vec<(String, usize, f32)> {
        let q = self.query(question);
        let counting = self.cues.read(&text::normalize(question)).counting;
        let hits = self.index.search(&q.search_terms, self.tuning.article_candidates).unwrap_or_default();
        let mut scratch = Scratch::default();
        let mut scored: Vec<(String, usize, f32)> = hits
            .into_iter()
            .map(|(pid, _)| {
                let p = &self.passages[pid];
                (self.knowledge.articles[p.article].id.clone(), p.paragraph, self.passage_score(&q, pid, counting, &mut scratch).0)
            })
            .collect();
        scored.sort_by(|a, b| b.2.total_cmp(&a.2));
        let mut seen = std::collections::HashSet::new();
        scored.retain(|(id, _, _)| seen.insert(id.clone()));
        scored.truncate(limit);
        scored
    }

    /// The FAQ entry a wording routes to, with its score (for `check`).
    pub fn route_faq(&self, question: &str) -> Option<(String, f32)> {
        self.faq_ranking(question).into_iter().next()
    }

    /// Every FAQ entry's score for a question, best first (the matcher alone,
    /// without the shortcut for a question worded exactly as an entry lists it).
    pub fn faq_ranking(&self, question: &str) -> Vec<(String, f32)> {
        let q = self.query(question);
        let mut v: Vec<(String, f32)> = self.faq_scores(&q).into_iter().enumerate().map(|(i, s)| (self.knowledge.faq[i].id.clone(), s)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }

    /// A report of how a question is read and scored, for tuning (`ask --explain`).
    pub fn explain(&self, question: &str) -> String {
        let norm = text::normalize(question);
        let repaired = self.repairer.repair(&norm);
        let split = self.asking.split(&repaired);
        let (q, groups) = match &split {
            Some((asked, aside)) => {
                // The groups query_split keeps, in its order.
                let store = self.index.terms();
                let mut groups = self.analyzer.question_normalized(asked).1;
                for g in self.analyzer.question_normalized(aside).1 {
                    let known = self.vocab.id(store, &g.full).is_some() || g.subs.iter().any(|s| self.vocab.id(store, s).is_some());
                    if known && !self.asking.is_filler(&g.full) && !groups.iter().any(|o| o.full == g.full) {
                        groups.push(g);
                    }
                }
                (self.query_split(asked, aside), groups)
            }
            None => (self.query_normalized(&repaired), self.analyzer.question_normalized(&repaired).1),
        };
        let mut out = String::new();
        if repaired != norm {
            out.push_str(&format!("repaired: «{repaired}»\n"));
        }
        if let Some((asked, aside)) = &split {
            out.push_str(&format!("asks: «{asked}»  aside: «{aside}»\n"));
        }
        out.push_str(&format!("type: {:#07b}  ", q.qtype));
        out.push_str("words:");
        for (g, t) in groups.iter().zip(&q.terms) {
            out.push_str(&format!(" {}{}({:.2})", g.full, if g.subs.is_empty() { String::new() } else { format!("[{}]", g.subs.join(",")) }, t.weight));
        }
        out.push_str(&format!("  scopes: {:?}\n", q.scopes));
        let counting = self.cues.read(&norm).counting;
        let mut cands: Vec<(String, f32)> = (0..self.faq_terms.len()).map(|i| (Ref::Faq(self.knowledge.faq[i].id.clone()).to_string(), self.faq_score(&q, i))).collect();
        let mut scratch = Scratch::default();
        for (pid, bm25) in self.index.search(&q.search_terms, self.tuning.article_candidates).unwrap_or_default() {
            let (s, w) = self.passage_score(&q, pid, counting, &mut scratch);
            let p = &self.passages[pid];
            let para = &self.knowledge.articles[p.article].paragraphs[p.paragraph];
            let r = Ref::Passage { article: self.knowledge.articles[p.article].id.clone(), paragraph: p.paragraph };
            cands.push((format!("{r} bm25 {bm25:.1} «{}»", text::clip(&para[w], 40)), s));
        }
        cands.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (c, s) in cands.iter().take(8) {
            out.push_str(&format!("{s:.3} {c}\n"));
        }
        out
    }
}
