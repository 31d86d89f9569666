//! Hostile `tokenizer.json` bytes: parsing must return `Ok` or a typed
//! error, and a tokenizer that parses must encode and decode without panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use realizar_tokenize::bpe::HfTokenizer;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tok) = HfTokenizer::from_json_str(text) else {
        return;
    };
    for s in [
        "",
        "Hello, world!",
        "  tabs\tand\nnewlines  ",
        "héllo 世界 🙂",
        "<|endoftext|>x",
    ] {
        let ids = tok.encode(s, true);
        let _ = tok.decode(&ids, false);
        let _ = tok.decode(&ids, true);
    }
    // Ids straight from the input, most of them unknown to the vocabulary.
    let ids: Vec<u32> = data
        .chunks(4)
        .map(|c| c.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)) % 70_000)
        .collect();
    let _ = tok.decode(&ids, false);
});
