//! The segmented text of every article, kept beside its index
//! (`index-<key>/segments.bin`), so that the index of an edited knowledge
//! runs jieba over the articles that changed and reads the others.
//!
//! Segmenting is most of an index build (jieba over every sentence). What an
//! article's segmentation depends on is its own text and the segmentation key
//! ([`segmentation_key`]: the index format, the analyzer, the scope words, the
//! jieba version): the file is tagged with that key, and each article's
//! record with a hash of the article ([`article_hash`]: id, title, subtitle,
//! paragraphs). A new index takes, from an index of the same segmentation key
//! already in the data directory, the record of every article whose hash it
//! finds there, segments the rest, and feeds tantivy and the passage terms in
//! the same order as a build from nothing: the index and the passage terms
//! are the same, document for document.
//!
//! The file is written as the index is filled (never held whole), then a
//! table of records and a footer; the build writes it aside with the rest of
//! the index. Reading checks the format and key, the footer and the table's
//! checksum, then each record's checksum and every range in it when it is
//! used: a damaged, cut or foreign file or record is ignored, its articles
//! segmented again, never used.

use std::fs::File;
use std::hash::Hasher;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::fx::{FxHasher, FxMap};
use super::terms::{PassageText, TitleText};
use crate::knowledge::Article;

/// Part of the segmentation key: change it whenever what a record holds or
/// how it is written changes.
pub const SEGMENTS_FORMAT: &str = "union-bot kept segments v1 (per article: the title's values' index terms, its terms and scopes; each paragraph's passage text)";

/// The file's name in an index directory.
pub(super) const FILE: &str = "segments.bin";

const MAGIC: &[u8; 8] = b"UBSEGS01";
const END: &[u8; 8] = b"UBSEGEND";
/// Magic and key.
const HEADER: u64 = 16;
/// Table offset, article count, table checksum, end magic.
const FOOTER: u64 = 32;
/// Words of one table entry.
const ENTRY_WORDS: usize = 7;

/// Hashes lists of strings for the keys of what is kept: each part is
/// followed by a byte never part of UTF-8, so no two lists hash as one.
/// [`super::index_key`], [`segmentation_key`] and [`article_hash`] are made
/// of its parts.
#[derive(Default)]
pub(super) struct KeyHasher(FxHasher);

impl KeyHasher {
    pub(super) fn put(&mut self, b: &[u8]) {
        self.0.write(b);
        self.0.write_u8(0xff);
    }

    /// The scope words and their keys, in sorted order.
    pub(super) fn put_scopes(&mut self, scopes: &FxMap<String, u8>) {
        let mut scopes: Vec<(&String, &u8)> = scopes.iter().collect();
        scopes.sort_unstable();
        for (t, k) in scopes {
            self.put(t.as_bytes());
            self.put(&[*k]);
        }
    }

    /// What an article's index text is made of: its id, title, subtitle and paragraphs.
    pub(super) fn put_article(&mut self, a: &Article) {
        self.put(a.id.as_bytes());
        self.put(a.title.as_bytes());
        self.put(a.subtitle.as_deref().unwrap_or("\u{0}").as_bytes());
        self.put(&a.paragraphs.len().to_le_bytes());
        for p in &a.paragraphs {
            self.put(p.as_bytes());
        }
    }

    pub(super) fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// What segmenting an article depends on besides its own text: the index
/// format, the analyzer ([`super::Analyzer::key`]), the scope words and
/// their keys, jieba-rs's version, and this file's format.
pub fn segmentation_key(index_format: &str, analyzer_key: u64, scopes: &FxMap<String, u8>) -> u64 {
    let mut h = KeyHasher::default();
    h.put(index_format.as_bytes());
    h.put(SEGMENTS_FORMAT.as_bytes());
    h.put(jieba_rs::KEPT_FORMAT.as_bytes());
    h.put(&analyzer_key.to_le_bytes());
    h.put_scopes(scopes);
    h.finish()
}

/// A hash of what an article's record is made of: its id, title, subtitle
/// and paragraphs.
pub fn article_hash(a: &Article) -> u64 {
    let mut h = KeyHasher::default();
    h.put_article(a);
    h.finish()
}

fn checksum(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(&(bytes.len() as u64).to_le_bytes());
    h.write(bytes);
    h.finish()
}

/// Where an article's records are in the file.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    hash: u64,
    title: (u64, u64, u64),
    body: (u64, u64, u64),
}

/// Writes a segments file, record by record, as the index is filled: every
/// title first, in article order, then each article's paragraphs.
pub(super) struct Keeper {
    out: BufWriter<File>,
    at: u64,
    table: Vec<Entry>,
    buf: Vec<u8>,
    /// The first write that failed: the rest is not written, and
    /// [`Keeper::finish`] returns it.
    failed: Option<io::Error>,
}

impl Keeper {
    pub(super) fn create(path: &Path, key: u64, articles: usize) -> io::Result<Keeper> {
        let mut out = BufWriter::with_capacity(1 << 16, File::create(path)?);
        out.write_all(MAGIC)?;
        out.write_all(&key.to_le_bytes())?;
        Ok(Keeper { out, at: HEADER, table: Vec::with_capacity(articles), buf: Vec::new(), failed: None })
    }

    /// Writes `self.buf` as a record; returns its offset, length, checksum.
    fn record(&mut self) -> (u64, u64, u64) {
        let place = (self.at, self.buf.len() as u64, checksum(&self.buf));
        if self.failed.is_none() {
            match self.out.write_all(&self.buf) {
                Ok(()) => self.at += self.buf.len() as u64,
                Err(e) => self.failed = Some(e),
            }
        }
        self.buf.clear();
        place
    }

    /// The next article's title.
    pub(super) fn put_title(&mut self, hash: u64, t: &TitleText) {
        put_u32(&mut self.buf, t.values.len());
        for v in &t.values {
            put_strs(&mut self.buf, v);
        }
        put_strs(&mut self.buf, &t.terms);
        put_bytes(&mut self.buf, &t.scopes);
        let title = self.record();
        self.table.push(Entry { hash, title, body: (0, 0, 0) });
    }

    /// Article `a`'s paragraphs (after every title).
    pub(super) fn put_body(&mut self, a: usize, texts: &[PassageText]) {
        put_u32(&mut self.buf, texts.len());
        for p in texts {
            put_bytes(&mut self.buf, p.body.as_bytes());
            put_bytes(&mut self.buf, p.terms.as_bytes());
            put_bytes(&mut self.buf, p.index_only.as_bytes());
            put_bytes(&mut self.buf, &p.scopes);
            put_u32(&mut self.buf, p.sentences.len());
            for (range, terms_end, only_end, scopes_end) in &p.sentences {
                for x in [range.start, range.end, *terms_end, *only_end, *scopes_end] {
                    put_u32(&mut self.buf, x);
                }
            }
        }
        let body = self.record();
        if let Some(e) = self.table.get_mut(a) {
            e.body = body;
        }
    }

    /// Writes the table and the footer, and syncs the file.
    pub(super) fn finish(mut self) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut table = Vec::with_capacity(self.table.len() * ENTRY_WORDS * 8);
        for e in &self.table {
            for w in [e.hash, e.title.0, e.title.1, e.title.2, e.body.0, e.body.1, e.body.2] {
                table.extend_from_slice(&w.to_le_bytes());
            }
        }
        self.out.write_all(&table)?;
        for w in [self.at, self.table.len() as u64, checksum(&table)] {
            self.out.write_all(&w.to_le_bytes())?;
        }
        self.out.write_all(END)?;
        self.out.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len());
    out.extend_from_slice(b);
}

fn put_strs(out: &mut Vec<u8>, v: &[String]) {
    put_u32(out, v.len());
    for s in v {
        put_bytes(out, s.as_bytes());
    }
}

/// A segments file of an index already in the data directory, to read
/// articles' records from.
pub(super) struct Kept {
    file: File,
    path: PathBuf,
    by_hash: FxMap<u64, Entry>,
    /// Records found damaged (ignored, their articles segmented again).
    damaged: AtomicUsize,
}

impl Kept {
    /// The segments file of an index in `data_dir` (a finished one: its
    /// `READY` marker is there) made with segmentation key `key`, if any.
    pub(super) fn find(data_dir: &Path, key: u64) -> Option<Kept> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(data_dir)
            .ok()?
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("index-"))
            .map(|e| e.path())
            .filter(|p| p.join(super::READY_MARKER).exists())
            .collect();
        dirs.sort();
        dirs.into_iter().find_map(|d| {
            let path = d.join(FILE);
            match Kept::open(&path, key) {
                Ok(k) => Some(k),
                Err(e) => {
                    tracing::debug!(path = %path.display(), error = %e, "kept segments not used");
                    None
                }
            }
        })
    }

    /// Opens a segments file: its header, footer and table must be whole
    /// and of this key.
    pub(super) fn open(path: &Path, key: u64) -> io::Result<Kept> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len < HEADER + FOOTER {
            return Err(invalid("too short"));
        }
        let mut header = [0u8; HEADER as usize];
        file.read_exact_at(&mut header, 0)?;
        if &header[..8] != MAGIC {
            return Err(invalid("not a segments file"));
        }
        if word(&header[8..]) != key {
            return Err(invalid("of another segmentation key"));
        }
        let mut footer = [0u8; FOOTER as usize];
        file.read_exact_at(&mut footer, len - FOOTER)?;
        if &footer[24..] != END {
            return Err(invalid("cut short"));
        }
        let (table_at, n, sum) = (word(&footer[..8]), word(&footer[8..16]), word(&footer[16..24]));
        let table_len = n.checked_mul((ENTRY_WORDS * 8) as u64).ok_or_else(|| invalid("bad table"))?;
        if table_at < HEADER || table_at.checked_add(table_len) != Some(len - FOOTER) {
            return Err(invalid("bad table"));
        }
        let mut table = vec![0u8; table_len as usize];
        file.read_exact_at(&mut table, table_at)?;
        if checksum(&table) != sum {
            return Err(invalid("table checksum mismatch"));
        }
        let mut by_hash = FxMap::default();
        for c in table.chunks_exact(ENTRY_WORDS * 8) {
            let w: Vec<u64> = c.chunks_exact(8).map(word).collect();
            let e = Entry { hash: w[0], title: (w[1], w[2], w[3]), body: (w[4], w[5], w[6]) };
            let inside = |(at, len, _): (u64, u64, u64)| at >= HEADER && at.checked_add(len).is_some_and(|end| end <= table_at);
            if !inside(e.title) || !inside(e.body) {
                return Err(invalid("a record out of bounds"));
            }
            by_hash.insert(e.hash, e);
        }
        Ok(Kept { file, path: path.to_path_buf(), by_hash, damaged: AtomicUsize::new(0) })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether an article of this hash was kept.
    pub(super) fn has(&self, hash: u64) -> bool {
        self.by_hash.contains_key(&hash)
    }

    /// How many records were found damaged so far.
    pub(super) fn damaged(&self) -> usize {
        self.damaged.load(Ordering::Relaxed)
    }

    fn read(&self, (at, len, sum): (u64, u64, u64)) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; len as usize];
        let ok = self.file.read_exact_at(&mut buf, at).is_ok() && checksum(&buf) == sum;
        if !ok {
            self.damaged.fetch_add(1, Ordering::Relaxed);
        }
        ok.then_some(buf)
    }

    /// The kept title of an article whose [`article_hash`] is `hash`.
    pub(super) fn title(&self, hash: u64) -> Option<TitleText> {
        let bytes = self.read(self.by_hash.get(&hash)?.title)?;
        let t = decode_title(&bytes);
        if t.is_none() {
            self.damaged.fetch_add(1, Ordering::Relaxed);
        }
        t
    }

    /// The kept passage texts of `article` (whose hash is `hash`), one a
    /// paragraph, each checked against its paragraph.
    pub(super) fn body(&self, hash: u64, article: &Article) -> Option<Vec<PassageText>> {
        let bytes = self.read(self.by_hash.get(&hash)?.body)?;
        let texts = decode_body(&bytes, article);
        if texts.is_none() {
            self.damaged.fetch_add(1, Ordering::Relaxed);
        }
        texts
    }
}

fn word(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Reads a record's fields; every read checks it stays inside the record.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn u32(&mut self) -> Option<usize> {
        let (head, rest) = self.0.split_at_checked(4)?;
        self.0 = rest;
        Some(u32::from_le_bytes(head.try_into().ok()?) as usize)
    }

    /// A count of items of at least `size` bytes each that the rest can hold.
    fn count(&mut self, size: usize) -> Option<usize> {
        let n = self.u32()?;
        (n.checked_mul(size)? <= self.0.len()).then_some(n)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn string(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_string)
    }

    fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.count(4)?;
        (0..n).map(|_| self.string()).collect()
    }
}

fn decode_title(bytes: &[u8]) -> Option<TitleText> {
    let mut f = Fields(bytes);
    let n = f.count(4)?;
    let values = (0..n).map(|_| f.strings()).collect::<Option<Vec<_>>>()?;
    let terms = f.strings()?;
    let scopes = f.bytes()?.to_vec();
    f.0.is_empty().then_some(TitleText { values, terms, scopes })
}

fn decode_body(bytes: &[u8], article: &Article) -> Option<Vec<PassageText>> {
    let mut f = Fields(bytes);
    let n = f.count(20)?;
    if n != article.paragraphs.len() {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    for para in &article.paragraphs {
        let body = f.string()?;
        let terms = f.string()?;
        let index_only = f.string()?;
        let scopes = f.bytes()?.to_vec();
        let k = f.count(20)?;
        let mut sentences = Vec::with_capacity(k);
        let (mut terms_at, mut only_at, mut scopes_at) = (0, 0, 0);
        for _ in 0..k {
            let [start, end, terms_end, only_end, scopes_end] = [f.u32()?, f.u32()?, f.u32()?, f.u32()?, f.u32()?];
            // Every range the passage terms builder slices, and the engine
            // after it, lies inside its text and on a character boundary.
            let fits = start <= end
                && end <= para.len()
                && para.is_char_boundary(start)
                && para.is_char_boundary(end)
                && terms_at <= terms_end
                && terms.is_char_boundary(terms_end)
                && only_at <= only_end
                && index_only.is_char_boundary(only_end)
                && scopes_at <= scopes_end
                && scopes_end <= scopes.len();
            if !fits {
                return None;
            }
            (terms_at, only_at, scopes_at) = (terms_end, only_end, scopes_end);
            sentences.push((start..end, terms_end, only_end, scopes_end));
        }
        if (terms_at, only_at, scopes_at) != (terms.len(), index_only.len(), scopes.len()) {
            return None;
        }
        out.push(PassageText { body, terms, index_only, scopes, sentences });
    }
    f.0.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{seed, wordings_and_titles};
    use super::super::{Analyzer, ArticleIndex, BuildStats, segmentation_key};
    use super::*;
    use crate::knowledge::Knowledge;

    /// The seed with one sentence added to one paragraph of article `at`.
    fn edited(k: &Knowledge, at: usize) -> Knowledge {
        let mut e = k.clone();
        e.articles[at].paragraphs[0].push_str("编辑测试：外卖小哥到朝阳区的暖心驿站歇脚。");
        e
    }

    /// Same passage terms, and the same hits with the same scores.
    fn assert_same(got: &ArticleIndex, want: &ArticleIndex, k: &Knowledge, a: &Analyzer, what: &str) {
        assert_eq!(got.terms(), want.terms(), "{what}: passage terms");
        assert_eq!(got.num_docs(), want.num_docs(), "{what}: passages");
        let mut questions = wordings_and_titles(k);
        questions.extend(k.articles.iter().flat_map(|art| art.paragraphs.iter().map(|p| crate::text::clip(p, 16).to_string())));
        questions.push("外卖小哥到朝阳区的暖心驿站歇脚".into());
        for q in &questions {
            let terms = a.terms(q);
            assert_eq!(got.search(&terms, 24).unwrap(), want.search(&terms, 24).unwrap(), "{what}: hits for {q}");
        }
    }

    fn copy_index(from: &Path, data: &Path) -> PathBuf {
        let to = data.join(from.file_name().unwrap());
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
        to
    }

    /// What kept records an index's segments file holds, and where.
    fn entries(dir: &Path, k: &Knowledge, a: &Analyzer) -> Vec<Entry> {
        let kept = Kept::open(&dir.join(FILE), segmentation_key(k, a)).expect("whole");
        k.articles.iter().map(|art| kept.by_hash[&article_hash(art)]).collect()
    }

    /// An edit of one article segments that article alone, the rest read
    /// from the last index's kept segments; the index is the one a build from
    /// nothing makes. A damaged, cut or foreign segments file, or a damaged
    /// record, is never used: what it held is segmented again.
    #[test]
    fn kept_segments_spare_all_but_the_edited_article_and_damage_is_never_used() {
        let (k, a) = seed();
        let data = tempfile::tempdir().unwrap();
        let first = ArticleIndex::build_on_disk(&k, &a, data.path()).unwrap();
        let n = k.articles.len();
        let total = super::super::passages(&k).len();
        assert_eq!(first.built(), Some(BuildStats { articles: n, articles_segmented: n, passages: total, passages_segmented: total }));
        let first_dir = first.dir.clone().unwrap();
        let good = std::fs::read(first_dir.join(FILE)).unwrap();

        let at = 5;
        let e = edited(&k, at);
        let fresh = ArticleIndex::build_in_ram(&e, &a).unwrap();
        let one = e.articles[at].paragraphs.len();
        let spared = BuildStats { articles: n, articles_segmented: 1, passages: total, passages_segmented: one };
        let all = BuildStats { articles: n, articles_segmented: n, passages: total, passages_segmented: total };

        // Reading, in memory (a data directory that cannot take the index).
        let in_ram = ArticleIndex::build_in_ram_reading(&e, &a, Some(data.path())).unwrap();
        assert_eq!(in_ram.built(), Some(spared));
        assert_same(&in_ram, &fresh, &e, &a, "in memory");

        let where_ = entries(&first_dir, &k, &a);
        let (title_of_0, body_of_9) = (where_[0].title, where_[9].body);
        let flip = |at: u64| {
            let mut d = good.clone();
            d[at as usize] ^= 0x01;
            d
        };
        let mut foreign = good.clone();
        foreign[8] ^= 0x40;
        let mut not_ours = good.clone();
        not_ours[..8].copy_from_slice(b"UBSEGS00");
        let cases: Vec<(&str, Vec<u8>, BuildStats)> = vec![
            ("whole", good.clone(), spared),
            ("cut in half", good[..good.len() / 2].to_vec(), all),
            ("cut by a byte", good[..good.len() - 1].to_vec(), all),
            ("a byte more", [good.as_slice(), b"x"].concat(), all),
            ("empty", Vec::new(), all),
            ("another key", foreign, all),
            ("another format", not_ours, all),
            ("the table damaged", flip(good.len() as u64 - FOOTER - 20), all),
            ("the footer damaged", flip(good.len() as u64 - 20), all),
            // Article 0's title: it is segmented again, its paragraphs read.
            ("a title damaged", flip(title_of_0.0 + title_of_0.1 / 2), BuildStats { articles_segmented: 2, ..spared }),
            (
                "a body damaged",
                flip(body_of_9.0 + body_of_9.1 / 2),
                BuildStats { articles_segmented: 2, passages_segmented: one + k.articles[9].paragraphs.len(), ..spared },
            ),
        ];
        for (what, bytes, stats) in cases {
            let data = tempfile::tempdir().unwrap();
            let dir = copy_index(&first_dir, data.path());
            std::fs::write(dir.join(FILE), &bytes).unwrap();
            let built = ArticleIndex::build_on_disk(&e, &a, data.path()).unwrap();
            assert_eq!(built.built(), Some(stats), "{what}");
            assert_same(&built, &fresh, &e, &a, what);
            // The new index keeps every article's segments, whole.
            let new_dir = built.dir.clone().unwrap();
            assert!(!dir.exists(), "{what}: the old index is removed");
            let again = ArticleIndex::build_in_ram_reading(&e, &a, Some(data.path())).unwrap();
            assert_eq!(again.built(), Some(BuildStats { articles_segmented: 0, passages_segmented: 0, ..spared }), "{what}: kept anew");
            assert_same(&again, &fresh, &e, &a, what);
            let (opened, rebuilt) = ArticleIndex::open_or_build(&e, &a, data.path()).unwrap();
            assert!(!rebuilt && opened.built().is_none(), "{what}: the next start opens it");
            assert_same(&opened, &fresh, &e, &a, what);
            assert_eq!(new_dir, opened.dir.clone().unwrap());
        }

        // Another analyzer (another segmentation key): nothing is read.
        let mut other = e.clone();
        other.lexicon.user_words.push("暖心驿站歇脚".into());
        let b = Analyzer::new(&other);
        assert_ne!(segmentation_key(&other, &b), segmentation_key(&e, &a));
        let data = tempfile::tempdir().unwrap();
        copy_index(&first_dir, data.path());
        let built = ArticleIndex::build_on_disk(&other, &b, data.path()).unwrap();
        assert_eq!(built.built(), Some(all));
        assert_same(&built, &ArticleIndex::build_in_ram(&other, &b).unwrap(), &other, &b, "another analyzer");
    }
}
