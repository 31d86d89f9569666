//! GPT-2's byte-to-character table: byte-level BPE works on 256 printable
//! stand-ins for the bytes of the text (space is `Ġ`, newline `Ċ`, ...).

/// The character that stands for byte `b` in byte-level vocabularies.
pub fn byte_to_char(b: u8) -> char {
    BYTE_CHARS[b as usize]
}

/// The byte a byte-level character stands for, if it is one of the 256.
pub fn char_to_byte(c: char) -> Option<u8> {
    let cp = c as u32;
    match cp {
        0x21..=0x7e | 0xa1..=0xac | 0xae..=0xff => Some(cp as u8),
        0x100..=0x143 => Some(SHIFTED[(cp - 0x100) as usize]),
        _ => None,
    }
}

/// Maps a byte-level token string back to the bytes it stands for, as HF's
/// ByteLevel decoder does: a token with any character outside the table is
/// kept as its own UTF-8 bytes.
pub fn token_to_bytes(token: &str, out: &mut Vec<u8>) {
    let start = out.len();
    for c in token.chars() {
        match char_to_byte(c) {
            Some(b) => out.push(b),
            None => {
                out.truncate(start);
                out.extend_from_slice(token.as_bytes());
                return;
            }
        }
    }
}

const fn printable(b: u8) -> bool {
    matches!(b, 0x21..=0x7e | 0xa1..=0xac | 0xae..=0xff)
}

/// `BYTE_CHARS[b]`: printable bytes map to themselves, the other 68 to
/// U+0100.. in byte order.
const BYTE_CHARS: [char; 256] = {
    let mut t = ['\0'; 256];
    let mut n = 0u32;
    let mut b = 0usize;
    while b < 256 {
        t[b] = if printable(b as u8) {
            match char::from_u32(b as u32) {
                Some(c) => c,
                None => '\0',
            }
        } else {
            let c = match char::from_u32(0x100 + n) {
                Some(c) => c,
                None => '\0',
            };
            n += 1;
            c
        };
        b += 1;
    }
    t
};

/// Inverse of the shifted part: `SHIFTED[cp - 0x100]` is the byte.
const SHIFTED: [u8; 68] = {
    let mut t = [0u8; 68];
    let mut n = 0usize;
    let mut b = 0usize;
    while b < 256 {
        if !printable(b as u8) {
            t[n] = b as u8;
            n += 1;
        }
        b += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_bytes() {
        for b in 0..=255u8 {
            assert_eq!(char_to_byte(byte_to_char(b)), Some(b));
        }
        assert_eq!(byte_to_char(b' '), 'Ġ');
        assert_eq!(byte_to_char(b'\n'), 'Ċ');
        assert_eq!(char_to_byte('中'), None);
    }
}
