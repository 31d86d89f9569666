//! A minimal protobuf reader for the fields of SentencePiece's `ModelProto`
//! that encoding and decoding need. Unknown fields are skipped by wire type;
//! every length is checked against the buffer.

use crate::error::{Error, Result};

/// `ModelProto.SentencePiece.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceType {
    /// An ordinary piece.
    Normal,
    /// The unknown piece.
    Unknown,
    /// A control symbol (`<s>`, `</s>`): never produced from text.
    Control,
    /// A user-defined symbol: always one piece.
    UserDefined,
    /// Unused: never produced by encoding.
    Unused,
    /// A byte-fallback piece `<0xNN>`.
    Byte,
}

/// One vocabulary entry.
#[derive(Debug, Clone)]
pub struct Piece {
    /// Its text (`▁` for spaces).
    pub piece: String,
    /// Its score (log probability for Unigram, minus the merge rank for BPE).
    pub score: f32,
    /// Its type.
    pub kind: PieceType,
}

/// The parts of `ModelProto` we read.
#[derive(Debug, Clone)]
pub struct ModelProto {
    /// The vocabulary; ids are positions.
    pub pieces: Vec<Piece>,
    /// `TrainerSpec.model_type`: 1 Unigram, 2 BPE, 3 Word, 4 Char.
    pub model_type: u64,
    /// `TrainerSpec.byte_fallback`.
    pub byte_fallback: bool,
    /// `TrainerSpec.treat_whitespace_as_suffix`.
    pub whitespace_as_suffix: bool,
    /// `TrainerSpec.{unk,bos,eos,pad}_id` (negative: none).
    pub unk_id: i64,
    /// Beginning of sequence id.
    pub bos_id: i64,
    /// End of sequence id.
    pub eos_id: i64,
    /// Padding id.
    pub pad_id: i64,
    /// `TrainerSpec.unk_surface`: what unk decodes to.
    pub unk_surface: String,
    /// `NormalizerSpec.name`.
    pub normalizer_name: String,
    /// `NormalizerSpec.precompiled_charsmap` is non-empty.
    pub has_charsmap: bool,
    /// `NormalizerSpec.add_dummy_prefix`.
    pub add_dummy_prefix: bool,
    /// `NormalizerSpec.remove_extra_whitespaces`.
    pub remove_extra_whitespaces: bool,
    /// `NormalizerSpec.escape_whitespaces`.
    pub escape_whitespaces: bool,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

enum Value<'a> {
    Varint(u64),
    Fixed32(u32),
    Bytes(&'a [u8], usize),
    Other,
}

impl<'a> Reader<'a> {
    fn err(&self, message: impl Into<String>) -> Error {
        Error::Protobuf {
            message: message.into(),
            offset: self.base + self.pos,
        }
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let &b = self
                .buf
                .get(self.pos)
                .ok_or_else(|| self.err("truncated varint"))?;
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(self.err("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| self.err(format!("field of {n} bytes runs past the end")))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next `(field, value)`, or None at the end.
    fn next(&mut self) -> Result<Option<(u64, Value<'a>)>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        let v = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Other
            }
            2 => {
                let n =
                    usize::try_from(self.varint()?).map_err(|_| self.err("length too large"))?;
                let at = self.base + self.pos;
                Value::Bytes(self.take(n)?, at)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            w => return Err(self.err(format!("unsupported wire type {w} (field {field})"))),
        };
        Ok(Some((field, v)))
    }
}

fn string(bytes: &[u8], at: usize, what: &str) -> Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::Protobuf {
        message: format!("{what} is not UTF-8"),
        offset: at,
    })
}

fn wrong(field: &str, at: usize) -> Error {
    Error::Protobuf {
        message: format!("field {field} has the wrong wire type"),
        offset: at,
    }
}

impl ModelProto {
    /// Parses a serialized `ModelProto`.
    pub fn parse(buf: &[u8]) -> Result<Self> {
        let mut m = ModelProto {
            pieces: Vec::new(),
            model_type: 1,
            byte_fallback: false,
            whitespace_as_suffix: false,
            unk_id: 0,
            bos_id: 1,
            eos_id: 2,
            pad_id: -1,
            unk_surface: " \u{2047} ".into(),
            normalizer_name: String::new(),
            has_charsmap: false,
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            escape_whitespaces: true,
        };
        let mut r = Reader {
            buf,
            pos: 0,
            base: 0,
        };
        while let Some((field, v)) = r.next()? {
            match (field, v) {
                (1, Value::Bytes(b, at)) => m.pieces.push(piece(b, at)?),
                (2, Value::Bytes(b, at)) => trainer(b, at, &mut m)?,
                (3, Value::Bytes(b, at)) => normalizer(b, at, &mut m)?,
                (1..=3, _) => return Err(wrong("ModelProto.1-3", r.base + r.pos)),
                _ => {}
            }
        }
        if m.pieces.is_empty() {
            return Err(Error::Protobuf {
                message: "no pieces".into(),
                offset: buf.len(),
            });
        }
        Ok(m)
    }
}

fn piece(b: &[u8], base: usize) -> Result<Piece> {
    let mut r = Reader {
        buf: b,
        pos: 0,
        base,
    };
    let mut p = Piece {
        piece: String::new(),
        score: 0.0,
        kind: PieceType::Normal,
    };
    while let Some((field, v)) = r.next()? {
        match (field, v) {
            (1, Value::Bytes(s, at)) => p.piece = string(s, at, "piece")?,
            (2, Value::Fixed32(f)) => p.score = f32::from_bits(f),
            (3, Value::Varint(t)) => {
                p.kind = match t {
                    1 => PieceType::Normal,
                    2 => PieceType::Unknown,
                    3 => PieceType::Control,
                    4 => PieceType::UserDefined,
                    5 => PieceType::Unused,
                    6 => PieceType::Byte,
                    _ => {
                        return Err(Error::Protobuf {
                            message: format!("unknown piece type {t}"),
                            offset: base + r.pos,
                        });
                    }
                }
            }
            (1..=3, _) => return Err(wrong("SentencePiece.1-3", base + r.pos)),
            _ => {}
        }
    }
    Ok(p)
}

fn trainer(b: &[u8], base: usize, m: &mut ModelProto) -> Result<()> {
    let mut r = Reader {
        buf: b,
        pos: 0,
        base,
    };
    while let Some((field, v)) = r.next()? {
        match (field, v) {
            (3, Value::Varint(t)) => m.model_type = t,
            (24, Value::Varint(t)) => m.whitespace_as_suffix = t != 0,
            (35, Value::Varint(t)) => m.byte_fallback = t != 0,
            // int32 fields: negative values are sign-extended 64-bit varints.
            (40, Value::Varint(t)) => m.unk_id = t as i64 as i32 as i64,
            (41, Value::Varint(t)) => m.bos_id = t as i64 as i32 as i64,
            (42, Value::Varint(t)) => m.eos_id = t as i64 as i32 as i64,
            (43, Value::Varint(t)) => m.pad_id = t as i64 as i32 as i64,
            (44, Value::Bytes(s, at)) => m.unk_surface = string(s, at, "unk_surface")?,
            (3 | 24 | 35 | 40..=44, _) => return Err(wrong("TrainerSpec", base + r.pos)),
            _ => {}
        }
    }
    Ok(())
}

fn normalizer(b: &[u8], base: usize, m: &mut ModelProto) -> Result<()> {
    let mut r = Reader {
        buf: b,
        pos: 0,
        base,
    };
    while let Some((field, v)) = r.next()? {
        match (field, v) {
            (1, Value::Bytes(s, at)) => m.normalizer_name = string(s, at, "normalizer name")?,
            (2, Value::Bytes(s, _)) => m.has_charsmap = !s.is_empty(),
            (3, Value::Varint(t)) => m.add_dummy_prefix = t != 0,
            (4, Value::Varint(t)) => m.remove_extra_whitespaces = t != 0,
            (5, Value::Varint(t)) => m.escape_whitespaces = t != 0,
            (1..=5, _) => return Err(wrong("NormalizerSpec", base + r.pos)),
            _ => {}
        }
    }
    Ok(())
}
