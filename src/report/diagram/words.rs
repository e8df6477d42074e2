//! Numbers as a lecturer says them: two or three significant figures, a space before the
//! unit, thousands separated ("work 31 ms", "peak 1,000 req/s", "timeout 3 s").

/// A duration in seconds, rounded, in the unit that reads best: µs, ms, s, min or h.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs <= 0.0 {
        return "0 s".into();
    }
    let (v, unit) = if secs >= 7200.0 {
        (secs / 3600.0, "h")
    } else if secs >= 600.0 {
        (secs / 60.0, "min")
    } else if secs >= 1.0 {
        (secs, "s")
    } else if secs >= 1e-3 {
        (secs * 1e3, "ms")
    } else {
        (secs * 1e6, "µs")
    };
    format!("{} {unit}", figures(v))
}

/// A plain quantity rounded: whole numbers of 10 and more, one decimal below 10, two
/// significant figures below 1; thousands separated.
pub fn figures(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a >= 1000.0 {
        // Three significant figures: 31,381 → 31,400.
        let step = 10f64.powi(a.log10().floor() as i32 - 2);
        return thousands(((v / step).round() * step) as i64);
    }
    let s = if a >= 10.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else if a == 0.0 {
        "0".into()
    } else {
        super::super::significant(v, 2)
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A rate in requests per second, rounded.
pub fn rounded_rate(v: f64) -> String {
    figures(v)
}

/// An integer with thousands separated by commas: 200000 → "200,000".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut o = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    if n < 0 {
        format!("-{o}")
    } else {
        o
    }
}

/// A kind's line of settings with its durations rounded and spaced ("work 20.579ms" → "work
/// 21 ms") and long integers separated ("200000 entries" → "200,000 entries"); other words
/// as they are.
pub fn round_line(line: &str) -> String {
    line.split(' ')
        .map(round_word)
        .collect::<Vec<_>>()
        .join(" ")
}

fn round_word(word: &str) -> String {
    let start = word.find(|c: char| c != '(').unwrap_or(word.len());
    // The end of the last character that is not trailing punctuation, which may take more
    // than one byte ("→").
    let end = word
        .char_indices()
        .rev()
        .find(|(_, c)| !matches!(c, ',' | ';' | ')' | ':'))
        .map_or(start, |(e, c)| e + c.len_utf8())
        .max(start);
    let (lead, core, tail) = (&word[..start], &word[start..end], &word[end..]);
    let rounded = duration_word(core).or_else(|| {
        (core.len() >= 4 && core.bytes().all(|b| b.is_ascii_digit()))
            .then(|| core.parse::<i64>().ok().map(thousands))
            .flatten()
    });
    match rounded {
        Some(r) => format!("{lead}{r}{tail}"),
        None => word.to_string(),
    }
}

/// "20.579ms" as "21 ms"; `None` when the word is not a number with a time unit.
fn duration_word(w: &str) -> Option<String> {
    let split = w.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = w.split_at(split);
    if num.is_empty() || !num.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let v: f64 = num.parse().ok()?;
    let scale = match unit {
        "ns" => 1e-9,
        "µs" | "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "min" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    Some(duration(v * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_ending_in_a_wide_character_is_kept_whole() {
        assert_eq!(round_line("10s × 3"), "10 s × 3");
        assert_eq!(round_line("(×)"), "(×)");
    }

    #[test]
    fn numbers_are_rounded_as_said_aloud() {
        assert_eq!(round_line("work 31.381ms"), "work 31 ms");
        assert_eq!(
            round_line("idle timeout 350s, cross-zone off"),
            "idle timeout 350 s, cross-zone off"
        );
        assert_eq!(
            round_line("TTL 3600s, 200000 entries"),
            "TTL 60 min, 200,000 entries"
        );
        assert_eq!(round_line("512 MB, timeout 1.5s"), "512 MB, timeout 1.5 s");
        assert_eq!(
            round_line("c6i.large x 6..6 in a, b (on-demand)"),
            "c6i.large x 6..6 in a, b (on-demand)"
        );
        assert_eq!(round_line("work 250µs"), "work 250 µs");
        // A word of characters longer than a byte, and one ending in one.
        assert_eq!(
            round_line("max-age 3600s → TTL 3600s"),
            "max-age 60 min → TTL 60 min"
        );
        assert_eq!(round_line("a→, b"), "a→, b");
        assert_eq!(duration(3.0), "3 s");
        assert_eq!(rounded_rate(1000.0), "1,000");
        assert_eq!(rounded_rate(31381.0), "31,400");
        assert_eq!(rounded_rate(12.34), "12");
        assert_eq!(rounded_rate(2.5), "2.5");
        assert_eq!(rounded_rate(0.123), "0.12");
    }
}
