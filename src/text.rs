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
/// - full-width ASCII (`Ｉ`, `１２３５１`, `，`) becomes half-width, the ideographic
///   space becomes a plain space;
/// - letters are lower-cased;
/// - emoji, symbols, control and format characters become spaces;
/// - punctuation becomes a space (it separates words, it never matches);
/// - runs of white space collapse to one space, and the result is trimmed.
pub fn normalize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    for c in input.chars() {
        // Ideographs, nearly every character, are kept as they are (they
        // have no case) without the Unicode table look-ups below.
        if is_han(c) {
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
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_punctuation() {
        assert_eq!(normalize("Ｉ会员　１２３５１，怎么办？？"), "i会员 12351 怎么办");
        assert_eq!(normalize("  工会😀😀电话!!! "), "工会 电话");
        assert_eq!(normalize("🙏🙏🙏"), "");
        assert_eq!(normalize("\u{0000}\u{200b}入会\u{0007}"), "入会");
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
