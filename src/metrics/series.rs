//! The names, units and meanings of what recorders produce (series and summary fields):
//! declared once, as constants, by whoever emits them, and read by the reports and by the
//! checks of `[[expect]]` paths.

/// What a number measures, for tables, axes and the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A count of things.
    Count,
    /// Things per second.
    PerSecond,
    /// A share from 0 to 1, shown as a percentage.
    Share,
    /// Already a percentage (0–100).
    Percent,
    Milliseconds,
    Seconds,
    /// US dollars.
    Usd,
    /// A plain number in the unit its label names (capacity units, targets).
    Number,
}

/// A time series an actor emits, one value per window; `id` names it in `timeseries.csv`.
/// Components declare theirs in their kind's `KindInfo`; reports find them there.
#[derive(Debug, PartialEq)]
pub struct Series {
    pub id: &'static str,
    pub unit: Unit,
    /// What it is, in a few words.
    pub about: &'static str,
}

/// The three per-window latency quantiles a `Latency` recorder gives, declared together.
#[derive(Debug)]
pub struct LatencySeries {
    pub p50: Series,
    pub p95: Series,
    pub p99: Series,
}

impl LatencySeries {
    /// The three series, in the order `Latency::series` gives them.
    pub fn all(&'static self) -> [&'static Series; 3] {
        [&self.p50, &self.p95, &self.p99]
    }
}

/// A number of `summary.json`, by its dotted path (`*` stands for any one name:
/// `by_status.*`). Kinds declare theirs (under `components.<id>.`), workloads theirs (under
/// `workloads.<name>.`), the summary its own; `[[expect]]` paths are checked against them.
#[derive(Debug)]
pub struct Field {
    pub path: &'static str,
    pub unit: Unit,
    pub about: &'static str,
}

/// Whether a dotted path matches a pattern whose `*` segments stand for any one name.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('.'), path.split('.'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}
