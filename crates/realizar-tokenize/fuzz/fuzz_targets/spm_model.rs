//! Hostile SentencePiece `.model` bytes (a protobuf): parsing must return
//! `Ok` or a typed error, and a model that parses must encode and decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use realizar_tokenize::sentencepiece::SentencePiece;

fuzz_target!(|data: &[u8]| {
    let Ok(sp) = SentencePiece::from_bytes(data) else {
        return;
    };
    for s in [
        "",
        "Hello, world!",
        "  tabs\tand\nnewlines  ",
        "héllo 世界 🙂",
    ] {
        let ids = sp.encode(s, true);
        let _ = sp.decode(&ids, false);
    }
    let ids: Vec<u32> = data.iter().map(|&b| u32::from(b) * 37).collect();
    let _ = sp.decode(&ids, false);
});
