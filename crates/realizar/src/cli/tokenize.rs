//! `realizar tokenize`: text to token ids and back with a `tokenizer.json`
//! or a SentencePiece `.model`.

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use realizar::tokenize::{Tokenize, Tokenizer};

/// Options of `realizar tokenize`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `tokenizer.json` (HF tokenizers) or a SentencePiece `.model` file.
    #[arg(long, value_name = "PATH")]
    tokenizer: PathBuf,
    /// Add the special tokens the model expects (e.g. BOS).
    #[arg(long)]
    add_special: bool,
    /// Print JSON: an array of ids (an object with ids and tokens under
    /// --verbose); with --decode, a JSON string.
    #[arg(long, conflicts_with = "jsonl")]
    json: bool,
    /// Batch mode: read one JSON string per line of stdin, write one JSON
    /// array of ids per line (with --decode: arrays in, strings out).
    #[arg(long)]
    jsonl: bool,
    /// Decode: TEXT (or stdin) holds ids (separated by spaces or commas, or
    /// a JSON array); prints the text.
    #[arg(long)]
    decode: bool,
    /// With --decode, leave out special tokens.
    #[arg(long, requires = "decode")]
    skip_special: bool,
    /// Show the token of each id too.
    #[arg(long, short)]
    verbose: bool,
    /// The text (or ids with --decode); stdin when absent.
    #[arg(conflicts_with = "jsonl")]
    text: Option<String>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    let tok = Tokenizer::from_file(&args.tokenizer)
        .with_context(|| format!("loading {}", args.tokenizer.display()))?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.jsonl {
        jsonl(&tok, &args, &mut out)?;
        return Ok(out.flush()?);
    }
    let input = match &args.text {
        Some(t) => t.clone(),
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading stdin")?;
            s
        }
    };
    if args.decode {
        let ids = parse_ids(&input)?;
        let text = tok.decode(&ids, args.skip_special)?;
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&text)?)?;
        } else {
            writeln!(out, "{text}")?;
        }
        return Ok(out.flush()?);
    }
    let ids = tok.encode(&input, args.add_special);
    let tokens = || -> Vec<&str> {
        ids.iter()
            .map(|&i| tok.id_to_token(i).unwrap_or(""))
            .collect()
    };
    match (args.json, args.verbose) {
        (true, false) => writeln!(out, "{}", serde_json::to_string(&ids)?)?,
        (true, true) => {
            let v = serde_json::json!({ "ids": ids, "tokens": tokens() });
            writeln!(out, "{v}")?;
        }
        (false, false) => {
            let s: Vec<String> = ids.iter().map(u32::to_string).collect();
            writeln!(out, "{}", s.join(" "))?;
        }
        (false, true) => {
            for (id, t) in ids.iter().zip(tokens()) {
                writeln!(out, "{id}\t{}", serde_json::to_string(t)?)?;
            }
        }
    }
    Ok(out.flush()?)
}

fn jsonl(tok: &Tokenizer, args: &Args, out: &mut impl Write) -> anyhow::Result<()> {
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.context("reading stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("stdin line {}", n + 1);
        if args.decode {
            let ids: Vec<u32> = serde_json::from_str(&line)
                .with_context(|| format!("{}: expected a JSON array of ids", at()))?;
            let text = tok.decode(&ids, args.skip_special).with_context(at)?;
            writeln!(out, "{}", serde_json::to_string(&text)?)?;
        } else {
            let text: String = serde_json::from_str(&line)
                .with_context(|| format!("{}: expected a JSON string", at()))?;
            let ids = tok.encode(&text, args.add_special);
            writeln!(out, "{}", serde_json::to_string(&ids)?)?;
        }
    }
    Ok(())
}

/// Ids as a JSON array or separated by spaces / commas.
fn parse_ids(s: &str) -> anyhow::Result<Vec<u32>> {
    let t = s.trim();
    if t.starts_with('[') {
        return serde_json::from_str(t).context("expected a JSON array of ids");
    }
    let mut ids = Vec::new();
    for w in t
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
    {
        match w.parse::<u32>() {
            Ok(i) => ids.push(i),
            Err(_) => bail!("{w:?} is not a token id"),
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::parse_ids;

    #[test]
    fn ids_in_all_forms() {
        assert_eq!(parse_ids("1 2,3\n4").unwrap(), [1, 2, 3, 4]);
        assert_eq!(parse_ids(" [5, 6] ").unwrap(), [5, 6]);
        assert!(parse_ids("7 x").is_err());
    }
}
