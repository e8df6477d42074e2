//! Text that came from a scenario (names, descriptions, keys) made safe to print, and the
//! nearest known word for a misspelt one.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every character a terminal could act on written as an escape: control characters
/// (ESC sequences could clear the screen or forge a CI log line), and the bidirectional
/// overrides that make text read differently from what it is. Everything else is unchanged.
pub fn printable(s: &str) -> Cow<'_, str> {
    if first_unprintable(s).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if needs_escape(c) && !(c == '\r' && chars.peek() == Some(&'\n')) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text`, a decimal number, without the zeros that end its fraction, nor a point left bare
/// ("5.20" → "5.2", "3.000" → "3"); a whole number is left as it is ("100").
pub fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// A number as written, or "0" when its digits are all zeros: "-0.000" and "-0" say nothing
/// a reader should see (float dust rounded away keeps its sign).
pub fn unsigned_zero(text: &str) -> &str {
    if text
        .trim_start_matches('-')
        .trim_start_matches(['0', '.'])
        .is_empty()
    {
        "0"
    } else {
        text
    }
}

/// Like `printable`, for text printed on one line: a line break is escaped too.
pub fn one_line(s: &str) -> Cow<'_, str> {
    if !s.contains(['\n', '\r']) {
        return printable(s);
    }
    Cow::Owned(printable(s).replace("\r\n", "\\n").replace('\n', "\\n"))
}

/// `s` on one line (`one_line`), cut to its first `max` characters (with "…" after): how a
/// message quotes text from a file that may be anyone's, without echoing all of it.
pub fn clipped(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", one_line(&s[..end])),
        None => one_line(s).into_owned(),
    }
}

/// The first character of `s` that `printable` would escape, with its place (counted in
/// characters from 1), and whether it is a bidirectional override rather than a control
/// character. A carriage return before a line feed is part of a line break, not one.
pub fn first_unprintable(s: &str) -> Option<(char, usize, bool)> {
    let mut chars = s.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        // A line break written by Windows (CR LF) is a line break, which a TOML multi-line
        // string keeps as written.
        if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
            continue;
        }
        if needs_escape(c) {
            return Some((c, i + 1, !c.is_control()));
        }
    }
    None
}

pub(crate) fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// The known word nearest to `word`, if one is close enough to be a likely misspelling:
/// at most a third of its letters differ, a swap of two neighbours counting as one (as
/// cargo suggests subcommands). A key that ends in its unit (`memory_mb`, `idle_timeout_s`)
/// is also measured without it, so that `memory` or `memmory` finds `memory_mb`.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let known: Vec<&'a str> = known
        .into_iter()
        .filter(|&k| k != word && !k.is_empty())
        .collect();
    // A word written without the version or flavour after its dash (`java` for `java-v2`),
    // when exactly one known word has that first part: `web` among `web-1` and `web-2`
    // names neither.
    let family: Vec<&'a str> = known
        .iter()
        .copied()
        .filter(|k| k.split_once('-').is_some_and(|(f, _)| f == word))
        .collect();
    if let [only] = family[..] {
        return Some(only);
    }
    known
        .into_iter()
        .map(|k| {
            let whole = strsim::osa_distance(word, k);
            let stem = without_unit(k).map_or(whole, |s| strsim::osa_distance(word, s));
            (whole.min(stem), k)
        })
        .filter(|&(d, _)| d <= limit)
        // Of words as near, the one that begins as `word` does for longest: `ca` was more
        // likely `cat`, cut short, than `c4` with a letter wrong.
        .min_by_key(|&(d, k)| (d, std::cmp::Reverse(common_prefix(word, k))))
        .map(|(_, k)| k)
}

/// How many characters `a` and `b` begin with alike.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// `key` without the unit it ends in (`memory_mb` → `memory`), if it ends in one.
fn without_unit(key: &str) -> Option<&str> {
    const UNITS: &[&str] = &[
        "b", "kb", "kib", "mb", "mib", "gb", "gib", "tb", "bytes", "ns", "us", "ms", "s", "min",
        "h", "pct", "percent",
    ];
    let (stem, unit) = key.rsplit_once('_')?;
    (!stem.is_empty() && UNITS.contains(&unit)).then_some(stem)
}

/// " (did you mean `x`?)" when a known word is near `word`, else nothing.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, known).map_or(String::new(), meant)
}

/// " (did you mean `x`?)" for a word that is not one of a fixed set's: as `did_you_mean`,
/// and also for one of them written with other separators or case (`Single-AZ`), or for the
/// start of some up to a separator (`multi-az` for `multi_az_instance` and
/// `multi_az_cluster`, both named), as an enumerated value is most often mistyped.
pub fn word_meant(word: &str, allowed: &[&str]) -> String {
    let near = did_you_mean(word, allowed.iter().copied());
    if !near.is_empty() {
        return near;
    }
    let norm = |s: &str| -> String {
        s.trim()
            .chars()
            .map(|c| match c {
                '-' | '_' | ' ' | '.' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    };
    let w = norm(word);
    if w.is_empty() {
        return String::new();
    }
    if let Some(a) = allowed.iter().find(|a| norm(a) == w) {
        return meant(a);
    }
    let begun: Vec<String> = allowed
        .iter()
        .filter(|a| norm(a).strip_prefix(&w).is_some_and(|r| r.starts_with('_')))
        .map(|a| format!("`{}`", one_line(a)))
        .collect();
    match begun.as_slice() {
        [] => String::new(),
        [one] => format!(" (did you mean {one}?)"),
        [first @ .., last] => format!(" (did you mean {} or {last}?)", first.join(", ")),
    }
}

/// " (did you mean `x`?)": the words every suggestion is put in, `x` on one printable line.
pub fn meant(x: &str) -> String {
    format!(" (did you mean `{}`?)", one_line(x))
}

/// `x` to `digits` significant digits (whole numbers past them keep every digit); 0, NaN
/// and infinities as Rust writes them.
pub fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = significant_decimals(x, digits).clamp(0, 9) as usize;
    format!("{x:.decimals$}")
}

/// The decimals that write `x` (finite, not 0) with `digits` significant digits: negative
/// when they end left of the point (for a caller to clamp).
pub fn significant_decimals(x: f64, digits: i32) -> i32 {
    digits - 1 - x.abs().log10().floor() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_of_zeros_is_zero_without_a_sign() {
        for zero in ["-0.000", "-0", "0.00", "0", "-.0"] {
            assert_eq!(unsigned_zero(zero), "0", "{zero}");
        }
        for kept in ["-0.001", "0.5", "10", "-3", "100.0"] {
            assert_eq!(unsigned_zero(kept), kept);
        }
    }

    #[test]
    fn a_word_of_a_set_is_suggested_by_its_spelling_its_separators_or_its_start() {
        let deployments = [
            "single_az",
            "multi_az_instance",
            "multi_az_cluster",
            "aurora",
        ];
        let said = |w: &str| word_meant(w, &deployments);
        assert_eq!(said("single-az"), " (did you mean `single_az`?)");
        assert_eq!(said("SINGLE-AZ"), " (did you mean `single_az`?)");
        assert_eq!(
            said("multi-az"),
            " (did you mean `multi_az_instance` or `multi_az_cluster`?)"
        );
        assert_eq!(said("multi_az"), said("multi-az"));
        // A start that ends inside a word names nothing: "mul" could be anything.
        assert_eq!(said("mul"), "");
        assert_eq!(said("dynamo"), "");
        assert_eq!(
            word_meant("postgresql", &["postgres", "mysql"]),
            " (did you mean `postgres`?)"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("plain text"), "plain text");
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("x\ry"), "x\\u{d}y");
        assert_eq!(printable("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(one_line("two\nlines"), "two\\nlines");
        // A Windows line break is a line break (a TOML multi-line string keeps it); a lone
        // carriage return is not, and one line shows neither raw.
        assert_eq!(printable("two\r\nlines"), "two\r\nlines");
        assert_eq!(first_unprintable("two\r\nlines"), None);
        assert_eq!(first_unprintable("two\rlines"), Some(('\r', 4, false)));
        assert_eq!(first_unprintable("a\u{202e}"), Some(('\u{202e}', 2, true)));
        assert_eq!(one_line("two\r\nlines\r"), "two\\nlines\\u{d}");
    }

    #[test]
    fn the_nearest_word_is_suggested() {
        let keys = ["memory_mb", "timeout", "calls"];
        assert_eq!(nearest("memroy_mb", keys), Some("memory_mb"));
        assert_eq!(nearest("zzz", keys), None);
        assert_eq!(did_you_mean("timout", keys), " (did you mean `timeout`?)");
        assert_eq!(nearest("tabel", ["table"]), Some("table"));
        // Of two as near, the one that begins alike for longer, whichever is listed first.
        assert_eq!(nearest("ca", ["c4", "cat"]), Some("cat"));
        assert_eq!(nearest("ca", ["cat", "c4"]), Some("cat"));
        // A key's unit is not part of what is misspelt.
        assert_eq!(nearest("memmory", keys), Some("memory_mb"));
        assert_eq!(nearest("memory", keys), Some("memory_mb"));
        assert_eq!(nearest("memory_mb", keys), None);
        // Nor is a word's version or flavour after a dash.
        let sdks = ["standard", "java-v2", "js-v3-2025", "python-legacy"];
        assert_eq!(nearest("java", sdks), Some("java-v2"));
        assert_eq!(nearest("rust", sdks), None);
        // Only when one word has it, and only the whole first part: not `ab-test` for `db`.
        assert_eq!(nearest("web", ["web-1", "web-2"]), None);
        assert_eq!(nearest("db", ["ab-test", "web-1"]), None);
    }
}
