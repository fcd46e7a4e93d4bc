//! [`Ref`]: what an answer is about (a FAQ entry, an article, one passage of
//! it, a station, a district), with the one text form every channel, the
//! journal and `check` use. It is printed and parsed here and nowhere else.
//!
//! The text form is `<kind>_<id>` (`faq_join-how`, `article_004-01`,
//! `passage_004-01_3`, `station_huairou-1`, `district_chaoyang`, a district
//! by its `id` in places.yaml): only `[A-Za-z0-9_-]`, so that it
//! is a Telegram deep-link start parameter as it is (`t.me/<bot>?start=faq_join-how`),
//! and at most [`Ref::MAX_LEN`] bytes, so that it fits in a button's callback
//! data. The spellings of earlier versions (`faq:x` and `f:x`, `article:x`
//! and `a:x`, `station:x` and `s:x`, deep links `f_x`, `a_x`, `s_x`) are still
//! read: buttons already sent and links already shared keep working.

use std::fmt;
use std::str::FromStr;

/// A reference to something the engine can answer with on its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ref {
    /// A FAQ entry, by id.
    Faq(String),
    /// An article, by id (answered with its first passage).
    Article(String),
    /// A paragraph of an article (0-based).
    Passage { article: String, paragraph: usize },
    /// A station, by id.
    Station(String),
    /// A district, by its `id` in places.yaml (what a follow-up such as
    /// "有充电的吗" after "朝阳有驿站吗" is about).
    District(String),
}

/// Why a text is not a [`Ref`], or an id cannot be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// Not of a kind this version knows.
    Unknown,
    /// The id is empty or holds a character outside `[A-Za-z0-9_-]`.
    BadId,
    /// The text form would be longer than [`Ref::MAX_LEN`] bytes.
    TooLong,
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::Unknown => write!(f, "not a reference"),
            RefError::BadId => write!(f, "an id may hold only A-Z, a-z, 0-9, '-' and '_'"),
            RefError::TooLong => write!(f, "the reference would be longer than {} bytes (Telegram's limit for button data)", Ref::MAX_LEN),
        }
    }
}

impl std::error::Error for RefError {}

impl Ref {
    /// Telegram's limit for callback data and deep-link parameters.
    pub const MAX_LEN: usize = 64;

    /// The kind's word in the text form.
    fn kind(&self) -> &'static str {
        match self {
            Ref::Faq(_) => FAQ,
            Ref::Article(_) => "article",
            Ref::Passage { .. } => "passage",
            Ref::Station(_) => "station",
            Ref::District(_) => "district",
        }
    }

    /// The id it names (a passage's: its article's).
    pub fn id(&self) -> &str {
        match self {
            Ref::Faq(id) | Ref::Article(id) | Ref::Station(id) | Ref::District(id) | Ref::Passage { article: id, .. } => id,
        }
    }

    /// Whether the text form is well made: ids of `[A-Za-z0-9_-]`, at most
    /// [`Ref::MAX_LEN`] bytes in all (`check` holds every id of the knowledge to it).
    pub fn validate(&self) -> Result<(), RefError> {
        let id = self.id();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(RefError::BadId);
        }
        if self.to_string().len() > Ref::MAX_LEN {
            return Err(RefError::TooLong);
        }
        Ok(())
    }
}

impl Ref {
    /// [`Ref::text`] of `Ref::Faq(id)`, without making the reference
    /// (every answer offers a few entries).
    pub(super) fn faq_text(id: &str) -> String {
        text_form(FAQ, id, None)
    }

    /// The text form, built in one allocation (every answer and suggestion
    /// carries one; `to_string` through `{}` padding cost more).
    pub fn text(&self) -> String {
        text_form(self.kind(), self.id(), self.paragraph())
    }

    /// A passage's paragraph (what its text form ends with).
    fn paragraph(&self) -> Option<usize> {
        match self {
            Ref::Passage { paragraph, .. } => Some(*paragraph),
            _ => None,
        }
    }
}

/// The kind's word of [`Ref::Faq`].
const FAQ: &str = "faq";

/// The text form of a reference: `<kind>_<id>`, and `_<paragraph>` for a
/// passage, in one allocation.
fn text_form(kind: &str, id: &str, paragraph: Option<usize>) -> String {
    let mut out = String::with_capacity(kind.len() + 1 + id.len() + if paragraph.is_some() { 6 } else { 0 });
    let _ = write_text_form(&mut out, kind, id, paragraph);
    out
}

/// Writes [`text_form`].
fn write_text_form(w: &mut impl fmt::Write, kind: &str, id: &str, paragraph: Option<usize>) -> fmt::Result {
    w.write_str(kind)?;
    w.write_char('_')?;
    w.write_str(id)?;
    if let Some(p) = paragraph {
        write!(w, "_{p}")?;
    }
    Ok(())
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_text_form(f, self.kind(), self.id(), self.paragraph())
    }
}

impl FromStr for Ref {
    type Err = RefError;

    fn from_str(s: &str) -> Result<Ref, RefError> {
        let s = s.trim();
        // Earlier spellings: `faq:x`, `f:x`, and deep links `f_x`.
        let (kind, id) = s.split_once(['_', ':']).ok_or(RefError::Unknown)?;
        if id.is_empty() {
            return Err(RefError::BadId);
        }
        let r = match kind {
            "faq" | "f" => Ref::Faq(id.to_string()),
            "article" | "a" => Ref::Article(id.to_string()),
            "station" | "s" => Ref::Station(id.to_string()),
            "district" => Ref::District(id.to_string()),
            "passage" => {
                let (article, paragraph) = id.rsplit_once('_').ok_or(RefError::Unknown)?;
                Ref::Passage { article: article.to_string(), paragraph: paragraph.parse().map_err(|_| RefError::Unknown)? }
            }
            _ => return Err(RefError::Unknown),
        };
        r.validate()?;
        Ok(r)
    }
}

/// A reference is written out as its text form (`ask --json`'s `context`).
impl serde::Serialize for Ref {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_is_read_back_and_fits_a_deep_link() {
        for r in [
            Ref::Faq("join-how".into()),
            Ref::Article("004-01".into()),
            Ref::Passage { article: "004-01".into(), paragraph: 3 },
            Ref::Station("st-0a1b2c3d".into()),
            Ref::Station("under_score".into()),
            Ref::District("chaoyang".into()),
        ] {
            let s = r.to_string();
            assert_eq!(r.text(), s, "one text form");
            assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{s}");
            assert_eq!(s.parse::<Ref>(), Ok(r), "{s}");
        }
        assert_eq!(Ref::Faq("join-how".into()).to_string(), "faq_join-how");
        // The shortcut for a FAQ entry's text form writes the same.
        for id in ["join-how", "a", "under_score", "x-1_2"] {
            assert_eq!(Ref::faq_text(id), Ref::Faq(id.into()).text(), "{id}");
        }
        assert_eq!(Ref::Passage { article: "004-01".into(), paragraph: 12 }.text(), "passage_004-01_12");
    }

    #[test]
    fn earlier_spellings_are_still_read() {
        assert_eq!("faq:a_b".parse::<Ref>(), Ok(Ref::Faq("a_b".into())));
        for s in ["faq:join-how", "f:join-how", "f_join-how", " faq_join-how "] {
            assert_eq!(s.parse::<Ref>(), Ok(Ref::Faq("join-how".into())), "{s}");
        }
        assert_eq!("a:004-01".parse::<Ref>(), Ok(Ref::Article("004-01".into())));
        assert_eq!("station:x1".parse::<Ref>(), Ok(Ref::Station("x1".into())));
        assert_eq!("s_x1".parse::<Ref>(), Ok(Ref::Station("x1".into())));
    }

    #[test]
    fn what_is_not_a_reference_is_refused() {
        for s in ["", "nearby", "faq_", "f:", "x:join", "faq_a b", "faq_入会", "passage_004-01", "passage_004-01_x"] {
            assert!(s.parse::<Ref>().is_err(), "{s}");
        }
        assert_eq!(Ref::Faq("x".repeat(61)).validate(), Err(RefError::TooLong));
        assert_eq!(Ref::Faq("x".repeat(60)).validate(), Ok(()));
    }
}
