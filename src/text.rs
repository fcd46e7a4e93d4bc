//! Text normalisation shared by the knowledge loader, the index and the engine.
//!
//! Workers type on phones: full-width digits, emoji, stray spaces, "Ｉ会员" and
//! "i会员" must all look the same to the matcher. Everything that compares text
//! goes through [`normalize`] first.

/// The longest question the engine looks at, in characters. Anything longer is
/// cut (a 5,000-character paste is answered from its first part, never rejected).
pub const MAX_QUESTION_CHARS: usize = 300;

/// Normalises a question or a piece of knowledge for matching.
///
/// - traditional characters become simplified ones (驛站 → 驿站, 沒有 → 没有;
///   `fast2s`'s table, with its few context rules), so a phone set to
///   traditional characters reads like any other;
/// - full-width ASCII (`Ｉ`, `１２３５１`, `，`) becomes half-width, the ideographic
///   space becomes a plain space;
/// - letters are lower-cased;
/// - emoji, symbols, control and format characters become spaces;
/// - punctuation becomes a space (it separates words, it never matches);
/// - runs of white space collapse to one space, and the result is trimmed.
pub fn normalize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    let mut traditional = false;
    for c in input.chars() {
        // Ideographs, nearly every character, are kept as they are (they
        // have no case) without the Unicode table look-ups below.
        if is_han(c) {
            traditional |= is_traditional(c);
            out.push(c);
            last_space = false;
            continue;
        }
        let c = fold_width(c);
        let mapped = if c.is_alphanumeric() || is_han(c) {
            Some(c)
        } else {
            None
        };
        match mapped {
            Some(c) => {
                for lc in c.to_lowercase() {
                    out.push(lc);
                }
                last_space = false;
            }
            None => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    if traditional {
        // In place: every character it converts is three bytes, and so is
        // what it becomes.
        fast2s::replace(&mut out);
    }
    out
}

/// The first code point [`is_traditional`] knows about, and the end of its range.
const T2S_FIRST: u32 = 0x3400;
const T2S_END: u32 = 0xFB00;

/// Whether `fast2s` would change this character: a bit per code point of the
/// three-byte ideograph blocks, computed once per process from `fast2s`
/// itself (about 50,000 one-character conversions, a few milliseconds), so
/// that simplified text, nearly all of it, costs one bit test per character.
fn is_traditional(c: char) -> bool {
    static BITS: std::sync::LazyLock<Vec<u64>> = std::sync::LazyLock::new(|| {
        let mut bits = vec![0u64; ((T2S_END - T2S_FIRST) as usize).div_ceil(64)];
        let mut buf = String::with_capacity(4);
        for cp in T2S_FIRST..T2S_END {
            let Some(c) = char::from_u32(cp) else { continue };
            buf.clear();
            buf.push(c);
            fast2s::replace(&mut buf);
            // 藉, 著 and 苧 change only beside certain characters (憑藉, 看著).
            if !buf.starts_with(c) || matches!(c, '藉' | '著' | '苧') {
                let i = (cp - T2S_FIRST) as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    });
    let cp = c as u32;
    if !(T2S_FIRST..T2S_END).contains(&cp) {
        return false;
    }
    let i = (cp - T2S_FIRST) as usize;
    BITS[i / 64] & (1 << (i % 64)) != 0
}

/// Cuts a question to [`MAX_QUESTION_CHARS`] characters on a char boundary.
pub fn clip(input: &str, max_chars: usize) -> &str {
    match input.char_indices().nth(max_chars) {
        Some((i, _)) => &input[..i],
        None => input,
    }
}

/// Maps full-width ASCII variants and the ideographic space to plain ASCII.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// True for CJK ideographs (the blocks jieba segments).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}')
}

/// True when nothing was written: the text is empty, or white space and
/// punctuation only ("", "？？？！！！", "..."; invisible characters count as
/// white space). Emoji and other symbols are something (a worker said it with
/// a picture), so they are not blank.
pub fn is_blank(input: &str) -> bool {
    input.chars().all(|c| {
        let c = fold_width(c);
        c.is_whitespace()
            || c.is_control()
            || c.is_ascii_punctuation()
            || matches!(c,
                '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00B6}' | '\u{00B7}' | '\u{00BB}' | '\u{00BF}'
                | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}'
                | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301F}'
                | '\u{30FB}' | '\u{FE10}'..='\u{FE19}' | '\u{FE30}'..='\u{FE6B}' | '\u{FF5F}'..='\u{FF65}')
    })
}

/// Splits Chinese text into sentences, keeping the closing punctuation (and a
/// closing quote right after it) with the sentence.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | '…') {
            let mut end = i + c.len_utf8();
            while let Some(&(j, n)) = chars.peek() {
                if matches!(n, '”' | '’' | '」' | '』' | '）' | ')' | '…' | '。' | '！' | '？') {
                    end = j + n.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let s = text[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = end;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// A stable 64-bit FNV-1a hash: the fingerprint of the knowledge directory
/// must not change between builds or Rust versions.
pub fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The FNV-1a offset basis, the starting value for [`fnv1a`].
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// "1 error", "2 errors": a count with its English noun (for the command
/// line and the logs; Chinese needs no plural).
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_take_the_singular_for_one() {
        assert_eq!(count(1, "error", "errors"), "1 error");
        assert_eq!(count(0, "error", "errors"), "0 errors");
        assert_eq!(count(2, "FAQ entry", "FAQ entries"), "2 FAQ entries");
    }

    use super::*;

    #[test]
    fn folds_width_case_and_punctuation() {
        assert_eq!(normalize("Ｉ会员　１２３５１，怎么办？？"), "i会员 12351 怎么办");
        assert_eq!(normalize("  工会😀😀电话!!! "), "工会 电话");
        assert_eq!(normalize("🙏🙏🙏"), "");
        assert_eq!(normalize("\u{0000}\u{200b}入会\u{0007}"), "入会");
    }

    #[test]
    fn blank_is_nothing_but_space_and_punctuation() {
        for q in ["", "   ", "？？？！！！", "...", "。，、；：“”‘’《》【】……——", "\u{3000}?!"] {
            assert!(is_blank(q), "{q:?}");
        }
        for q in ["😀😀😀", "怎么入会", "？1", "a", "👍", "★"] {
            assert!(!is_blank(q), "{q:?}");
        }
    }

    #[test]
    fn traditional_characters_become_simplified() {
        assert_eq!(normalize("附近有沒有驛站？"), "附近有没有驿站");
        assert_eq!(normalize("工會電話多少"), "工会电话多少");
        assert_eq!(normalize("怎麼加入工會"), "怎么加入工会");
        // Context rules of the table hold: 看著 → 看着, 著名 stays.
        assert_eq!(normalize("看著 著名"), "看着 著名");
        // Simplified text is left as it is.
        assert_eq!(normalize("附近有没有驿站"), "附近有没有驿站");
        assert!(is_traditional('驛') && !is_traditional('驿') && !is_traditional('a'));
    }

    #[test]
    fn clips_on_char_boundary() {
        assert_eq!(clip("工会驿站", 2), "工会");
        assert_eq!(clip("工会", 10), "工会");
    }

    #[test]
    fn splits_sentences_with_closing_quotes() {
        let s = sentences("他说：“好。”然后走了！还有吗？最后一句");
        assert_eq!(s, vec!["他说：“好。”", "然后走了！", "还有吗？", "最后一句"]);
    }
}
