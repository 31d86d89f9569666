//! Files of measurements: one number per line, or JSON. Errors name the
//! file and the line, on one line, so `stats compare` and `viz --input`
//! can say exactly what is wrong.

use anyhow::{Result, anyhow, bail};
use std::path::Path;

/// The numbers in `path`: one per line (blank lines and `#` comments
/// skipped) or a JSON array of numbers. At least `min` of them, all
/// finite.
pub fn read_numbers(path: &Path, min: usize) -> Result<Vec<f64>> {
    let text = read_text(path)?;
    let (values, last_line) = if looks_like_json(&text) {
        let v: Vec<f64> = serde_json::from_str(&text).map_err(|e| json_error(path, &e))?;
        let line = text.trim_end().lines().count().max(1);
        (v, line)
    } else {
        parse_lines(path, &text)?
    };
    check_count(path, values.len(), min, last_line)?;
    Ok(values)
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('[' | '{'))
}

/// `path:line:column: message`, from serde_json's error.
fn json_error(path: &Path, e: &serde_json::Error) -> anyhow::Error {
    let msg = e.to_string();
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m);
    anyhow!("{}:{}:{}: {msg}", path.display(), e.line(), e.column())
}

/// Numbers one per line; returns them and the line of the last one.
fn parse_lines(path: &Path, text: &str) -> Result<(Vec<f64>, usize)> {
    let mut values = Vec::new();
    let mut last = 1;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let lineno = i + 1;
        let v: f64 = line.parse().map_err(|_| {
            anyhow!(
                "{}:{lineno}: not a number: {:?} (expected one number per line)",
                path.display(),
                shorten(line)
            )
        })?;
        if !v.is_finite() {
            bail!("{}:{lineno}: not a finite number: {line:?}", path.display());
        }
        values.push(v);
        last = lineno;
    }
    Ok((values, last))
}

fn check_count(path: &Path, found: usize, min: usize, line: usize) -> Result<()> {
    match found {
        0 if min > 0 => bail!(
            "{}:{line}: no numbers (empty file); expected one number per line or a JSON array",
            path.display()
        ),
        n if n < min => bail!(
            "{}:{line}: only {n} value{}; at least {min} are needed",
            path.display(),
            if n == 1 { "" } else { "s" }
        ),
        _ => Ok(()),
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Named series of latencies in microseconds from a file: a text file or
/// a JSON array of numbers is one series named after the file; a JSON
/// object maps names to arrays; a JSON array of objects has `name` and
/// `latencies_us` (or `samples`) fields.
pub fn read_series(path: &Path) -> Result<Vec<(String, Vec<f64>)>> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    let text = read_text(path)?;
    if !looks_like_json(&text) {
        return read_numbers(path, 2).map(|v| vec![(stem, v)]);
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| json_error(path, &e))?;
    let numbers = |v: &serde_json::Value, what: &str| -> Result<Vec<f64>> {
        let arr = v
            .as_array()
            .ok_or_else(|| anyhow!("{}: {what}: expected an array of numbers", path.display()))?;
        arr.iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_f64().ok_or_else(|| {
                    anyhow!(
                        "{}: {what}[{i}]: expected a number, found {x}",
                        path.display()
                    )
                })
            })
            .collect()
    };
    let series = match &value {
        serde_json::Value::Array(items) if items.iter().all(|x| x.is_number()) => {
            vec![(stem, numbers(&value, "array")?)]
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let name = item.get("name").and_then(|n| n.as_str()).ok_or_else(|| {
                    anyhow!("{}: [{i}]: expected a \"name\" string", path.display())
                })?;
                let samples = item
                    .get("latencies_us")
                    .or_else(|| item.get("samples"))
                    .ok_or_else(|| {
                        anyhow!(
                            "{}: [{i}] ({name}): expected a \"latencies_us\" array",
                            path.display()
                        )
                    })?;
                Ok((name.to_string(), numbers(samples, name)?))
            })
            .collect::<Result<Vec<_>>>()?,
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(name, v)| Ok((name.clone(), numbers(v, name)?)))
            .collect::<Result<Vec<_>>>()?,
        _ => bail!(
            "{}: expected a JSON array of numbers or an object of named arrays",
            path.display()
        ),
    };
    if series.is_empty() {
        bail!("{}: no series in the file", path.display());
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("realizar-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn lines_and_json() {
        let p = write("a.txt", "# latencies\n1.5\n\n2\n3e1\n");
        assert_eq!(read_numbers(&p, 2).unwrap(), vec![1.5, 2.0, 30.0]);
        let p = write("b.json", "[1, 2.5,\n 3]");
        assert_eq!(read_numbers(&p, 2).unwrap(), vec![1.0, 2.5, 3.0]);
    }

    #[test]
    fn errors_name_file_and_line() {
        let p = write("c.txt", "1\n2\nabc\n");
        let e = read_numbers(&p, 2).unwrap_err().to_string();
        assert!(
            e.ends_with("c.txt:3: not a number: \"abc\" (expected one number per line)"),
            "{e}"
        );
        let p = write("d.txt", "");
        let e = read_numbers(&p, 2).unwrap_err().to_string();
        assert!(e.contains("d.txt:1: no numbers"), "{e}");
        let p = write("e.txt", "\n\n42\n");
        let e = read_numbers(&p, 2).unwrap_err().to_string();
        assert!(e.contains("e.txt:3: only 1 value;"), "{e}");
        let p = write("f.txt", "1\nnan\n");
        assert!(
            read_numbers(&p, 2)
                .unwrap_err()
                .to_string()
                .contains("f.txt:2: not a finite")
        );
        let p = write("g.json", "[1,\n2,\n\"x\"]");
        let e = read_numbers(&p, 2).unwrap_err().to_string();
        assert!(e.contains("g.json:3:"), "{e}");
        assert!(!e.contains(" at line "), "{e}");
    }

    #[test]
    fn series() {
        let p = write("s.json", r#"{"a": [1, 2], "b": [3, 4]}"#);
        let s = read_series(&p).unwrap();
        assert_eq!(s[1], ("b".to_string(), vec![3.0, 4.0]));
        let p = write("t.json", r#"[{"name": "x", "latencies_us": [1, 2]}]"#);
        assert_eq!(read_series(&p).unwrap()[0].0, "x");
        let p = write("lat.txt", "1\n2\n");
        assert_eq!(read_series(&p).unwrap()[0].0, "lat");
        let p = write("u.json", r#"{"a": [1, "z"]}"#);
        assert!(read_series(&p).unwrap_err().to_string().contains("a[1]"));
    }
}
