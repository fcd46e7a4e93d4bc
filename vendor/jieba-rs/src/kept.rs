//! A built dictionary written to a file and read back as it was (added for
//! union-bot; not in jieba-rs 0.11.0 as published).
//!
//! Building the default dictionary's trie word by word is most of the cost
//! of `Jieba::new`; reading the finished tables back is a copy. The file is
//! a sequence of little-endian 64-bit words (strings padded to a whole word)
//! ending with a checksum of all the words before it. Reading checks the
//! format, the checksum, and every index the segmenter will follow, so a
//! damaged or foreign file is an error, never a wrong or panicking
//! segmenter.

use std::io::{self, Read, Write};

/// The first word of a kept dictionary: its format.
/// (2: the words' frequencies are no longer written, only their
/// logarithms.)
const MAGIC: u64 = u64::from_le_bytes(*b"JIEBAKP2");

/// Identifies what a kept file can be read back into: a caller that keys
/// its files by this string never reads a file of another format or crate
/// version.
pub const KEPT_FORMAT: &str = concat!("jieba-rs ", env!("CARGO_PKG_VERSION"), " kept v2");

fn mix(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

pub(crate) struct Writer<W: Write> {
    out: W,
    buf: Vec<u8>,
    hash: u64,
}

impl<W: Write> Writer<W> {
    pub(crate) fn new(out: W) -> Self {
        let mut w = Writer { out, buf: Vec::with_capacity(1 << 16), hash: 0 };
        w.word(MAGIC);
        w
    }

    pub(crate) fn word(&mut self, w: u64) {
        self.hash = mix(self.hash, w);
        self.buf.extend_from_slice(&w.to_le_bytes());
    }

    pub(crate) fn words(&mut self, ws: impl IntoIterator<Item = u64>) -> io::Result<()> {
        for w in ws {
            self.word(w);
            if self.buf.len() >= 1 << 16 {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        Ok(())
    }

    pub(crate) fn str(&mut self, s: &str) -> io::Result<()> {
        self.word(s.len() as u64);
        let bytes = s.as_bytes();
        self.words(bytes.chunks(8).map(|c| {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            u64::from_le_bytes(w)
        }))
    }

    pub(crate) fn finish(mut self) -> io::Result<W> {
        let sum = self.hash;
        self.buf.extend_from_slice(&sum.to_le_bytes());
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

pub(crate) struct Reader<R: Read> {
    inp: R,
    buf: Vec<u8>,
    pos: usize,
    hash: u64,
}

pub(crate) fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("kept jieba dictionary: {what}"))
}

impl<R: Read> Reader<R> {
    pub(crate) fn new(inp: R) -> io::Result<Self> {
        let mut r = Reader { inp, buf: vec![0; 1 << 16], pos: 1 << 16, hash: 0 };
        if r.word()? != MAGIC {
            return Err(invalid("not a kept dictionary of this format"));
        }
        Ok(r)
    }

    fn raw(&mut self) -> io::Result<u64> {
        if self.pos == self.buf.len() {
            self.buf.resize(1 << 16, 0);
            let mut filled = 0;
            while filled < self.buf.len() {
                let n = self.inp.read(&mut self.buf[filled..])?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled % 8 != 0 || filled == 0 {
                return Err(invalid("cut short"));
            }
            self.buf.truncate(filled);
            self.pos = 0;
        }
        let w = u64::from_le_bytes(self.buf[self.pos..self.pos + 8].try_into().expect("eight bytes"));
        self.pos += 8;
        Ok(w)
    }

    pub(crate) fn word(&mut self) -> io::Result<u64> {
        let w = self.raw()?;
        self.hash = mix(self.hash, w);
        Ok(w)
    }

    /// A count of items, each at least `words` words long, that the file
    /// can hold (a damaged count must not reserve gigabytes).
    pub(crate) fn count(&mut self, limit: u64) -> io::Result<usize> {
        let n = self.word()?;
        if n > limit {
            return Err(invalid("a count out of range"));
        }
        Ok(n as usize)
    }

    pub(crate) fn str(&mut self) -> io::Result<String> {
        let len = self.count(1 << 20)?;
        let mut bytes = Vec::with_capacity(len.div_ceil(8) * 8);
        for _ in 0..len.div_ceil(8) {
            bytes.extend_from_slice(&self.word()?.to_le_bytes());
        }
        if bytes[len..].iter().any(|&b| b != 0) {
            return Err(invalid("a string's padding"));
        }
        bytes.truncate(len);
        String::from_utf8(bytes).map_err(|_| invalid("a string not UTF-8"))
    }

    /// Checks the checksum and that nothing follows it.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        let expected = self.hash;
        if self.raw()? != expected {
            return Err(invalid("checksum mismatch"));
        }
        if self.pos < self.buf.len() || self.inp.read(&mut [0u8; 1])? != 0 {
            return Err(invalid("bytes after the checksum"));
        }
        Ok(())
    }
}
