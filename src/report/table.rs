//! The data plots are drawn from, read back from `timeseries.csv` and `events.csv`, so that
//! `archsim plot DIR` and `archsim run` draw the very same pictures.

use crate::limits::{
    MAX_COMPONENTS, MAX_SERIES_SEEDS, MAX_WINDOWS, MAX_WORKLOADS, SERIES_BUDGET_ACTOR_WINDOWS,
};
use std::collections::{BTreeMap, HashMap};

/// The most values a table read back may hold (series × seeds × windows): what archsim
/// writes stays far below it.
const MAX_TABLE_VALUES: u64 = 64 * SERIES_BUDGET_ACTOR_WINDOWS;

/// The most series (component or workload, series) a table read back may name: 64 an actor,
/// several times what any kind declares. With `MAX_TABLE_VALUES`, what a folder from
/// elsewhere can make the table allocate is bounded in bytes, not only in values (a series
/// of one value still costs its names and lists).
const MAX_TABLE_SERIES: usize = 64 * (MAX_COMPONENTS + MAX_WORKLOADS);

/// The window width of a summary, checked: a positive number of seconds that cuts its
/// duration into at most `MAX_WINDOWS` windows.
pub fn window_of(summary: &serde_json::Value) -> Result<f64, String> {
    let w = summary["window_s"].as_f64().unwrap_or(f64::NAN);
    if !(w.is_finite() && w > 0.0) {
        return Err("summary.json: `window_s` must be a positive number of seconds".into());
    }
    let duration = summary["duration_s"].as_f64().unwrap_or(0.0);
    if !(duration.is_finite() && duration >= 0.0) || duration / w > MAX_WINDOWS as f64 {
        return Err(format!(
            "summary.json: `duration_s` / `window_s` must be a count of at most {MAX_WINDOWS} windows"
        ));
    }
    Ok(w)
}

/// Whether a name read back from a CSV file is one archsim writes (a component id, a
/// workload name or a series name): letters, digits, `-`, `_` and `.`.
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Time series of one scenario: for each (actor, series), one vector per seed, indexed by
/// window (NaN where a window had no value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeriesTable {
    pub window_s: f64,
    pub seeds: Vec<u64>,
    pub windows: usize,
    pub data: BTreeMap<(String, String), Vec<Vec<f64>>>,
}

/// Per window across seeds: the median and the range.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Window start times [s]; once `stepped_to` has run, each window's start and end.
    pub t: Vec<f64>,
    pub median: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

impl Band {
    /// The band as steps: each window's values held from its start to the next one's, the
    /// last's to `end_s`, the end of the run [s]. A window's value is its own period's (a
    /// rate, a mean), so a line drawn straight from one window's start to the next leaned
    /// into the window before a change: 503s and retries rose before the fault that caused
    /// them. The step rises where the window that holds the change begins; and the last
    /// window reaches the axis's end, not stopping one window short.
    pub fn stepped_to(self, end_s: f64) -> Band {
        let n = self.t.len();
        let mut out = Band {
            t: Vec::with_capacity(2 * n),
            median: Vec::with_capacity(2 * n),
            min: Vec::with_capacity(2 * n),
            max: Vec::with_capacity(2 * n),
        };
        for k in 0..n {
            let next = match self.t.get(k + 1) {
                Some(&t) => t,
                None => end_s.max(self.t[k]),
            };
            out.t.extend([self.t[k], next]);
            out.median.extend([self.median[k]; 2]);
            out.min.extend([self.min[k]; 2]);
            out.max.extend([self.max[k]; 2]);
        }
        out
    }
}

/// Line `n` of `timeseries.csv`, checked: (window, seed, component, series, value).
fn row(n: usize, line: &str, window_s: f64) -> Result<(usize, u64, &str, &str, f64), String> {
    let bad = || format!("timeseries.csv line {n}: not a row archsim writes");
    let mut fields = line.split(',');
    let mut f = [""; 5];
    for slot in &mut f {
        *slot = fields.next().ok_or_else(bad)?;
    }
    if fields.next().is_some() {
        return Err(bad());
    }
    let t: f64 = f[0].parse().map_err(|_| bad())?;
    let seed: u64 = f[1].parse().map_err(|_| bad())?;
    let v: f64 = f[4].parse().map_err(|_| bad())?;
    let w = (t / window_s).round();
    if !(t.is_finite() && t >= 0.0 && w < MAX_WINDOWS as f64) {
        return Err(format!(
            "timeseries.csv line {n}: the time is not within {MAX_WINDOWS} windows of the start"
        ));
    }
    if !plain_name(f[2]) || !plain_name(f[3]) {
        return Err(format!(
            "timeseries.csv line {n}: a component or series name holds characters archsim never writes"
        ));
    }
    Ok((w as usize, seed, f[2], f[3], v))
}

impl SeriesTable {
    /// Parses `timeseries.csv`; `window_s` comes from `summary.json` (`window_of`). What it
    /// allocates is bounded whatever the file says: at most `MAX_WINDOWS` windows,
    /// `MAX_SERIES_SEEDS` seeds and `MAX_TABLE_VALUES` values.
    pub fn from_csv(text: &str, window_s: f64) -> Result<SeriesTable, String> {
        if !(window_s.is_finite() && window_s > 0.0) {
            return Err("the window width must be a positive number of seconds".into());
        }
        let mut lines = text.lines();
        match lines.next() {
            Some("time_s,seed,component,series,value") => {}
            _ => return Err("timeseries.csv: the first line is not archsim's header `time_s,seed,component,series,value`".into()),
        }
        // One pass, no rows kept: each value goes straight into its series' column for its
        // seed, grown as its windows come. archsim writes a series' rows together, so the row
        // before usually names the same series and seed, and no lookup is made.
        let mut index: HashMap<(&str, &str), usize> = HashMap::new();
        let mut names: Vec<(&str, &str)> = Vec::new();
        // Per name, per seed seen: the seed and its column by window.
        let mut columns: Vec<Vec<(u64, Vec<f64>)>> = Vec::new();
        let mut seeds: Vec<u64> = Vec::new();
        let mut windows = 0;
        let mut last: Option<((&str, &str), usize, usize)> = None;
        for (i, line) in lines.enumerate() {
            let (w, seed, actor, series, v) = row(i + 2, line, window_s)?;
            let (ni, si) = match last {
                Some((name, ni, si)) if name == (actor, series) && columns[ni][si].0 == seed => {
                    (ni, si)
                }
                _ => {
                    let ni = match index.get(&(actor, series)) {
                        Some(&ni) => ni,
                        None if names.len() >= MAX_TABLE_SERIES => {
                            return Err(format!(
                                "timeseries.csv names more than {MAX_TABLE_SERIES} series, the most archsim reads back"
                            ));
                        }
                        None => {
                            index.insert((actor, series), names.len());
                            names.push((actor, series));
                            columns.push(Vec::new());
                            names.len() - 1
                        }
                    };
                    if !seeds.contains(&seed) {
                        seeds.push(seed);
                        if seeds.len() > MAX_SERIES_SEEDS {
                            return Err(format!(
                                "timeseries.csv holds more than {MAX_SERIES_SEEDS} seeds, the most archsim writes"
                            ));
                        }
                    }
                    let si = match columns[ni].iter().position(|(s, _)| *s == seed) {
                        Some(si) => si,
                        None => {
                            columns[ni].push((seed, Vec::new()));
                            columns[ni].len() - 1
                        }
                    };
                    (ni, si)
                }
            };
            last = Some(((actor, series), ni, si));
            if w >= windows {
                windows = w + 1;
            }
            // What the table will hold once every series has every seed's every window.
            let cells = names.len() as u64 * seeds.len() as u64 * windows as u64;
            if cells > MAX_TABLE_VALUES {
                return Err(format!(
                    "timeseries.csv describes more than {MAX_TABLE_VALUES} values (series × seeds × windows), the most archsim writes"
                ));
            }
            let column = &mut columns[ni][si].1;
            if w >= column.len() {
                column.resize(w + 1, f64::NAN);
            }
            column[w] = v;
        }
        seeds.sort_unstable();
        let data: BTreeMap<(String, String), Vec<Vec<f64>>> = names
            .iter()
            .zip(columns)
            .map(|(&(a, s), mut per_seed)| {
                let mut by_seed = Vec::with_capacity(seeds.len());
                for seed in &seeds {
                    let mut column = match per_seed.iter().position(|(s, _)| s == seed) {
                        Some(i) => std::mem::take(&mut per_seed[i].1),
                        None => Vec::new(),
                    };
                    column.resize(windows, f64::NAN);
                    by_seed.push(column);
                }
                ((a.to_string(), s.to_string()), by_seed)
            })
            .collect();
        Ok(SeriesTable {
            window_s,
            seeds,
            windows,
            data,
        })
    }

    /// Series names of an actor that start with `prefix`, in name order.
    pub fn series_of(&self, actor: &str, prefix: &str) -> Vec<String> {
        self.data
            .keys()
            .filter(|(a, s)| a == actor && s.starts_with(prefix))
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// Median and range over seeds of one series, scaled by `scale`.
    pub fn band(&self, actor: &str, series: &str, scale: f64) -> Option<Band> {
        let per_seed = self.data.get(&(actor.to_string(), series.to_string()))?;
        let mut band = Band {
            t: (0..self.windows)
                .map(|w| w as f64 * self.window_s)
                .collect(),
            median: Vec::with_capacity(self.windows),
            min: Vec::with_capacity(self.windows),
            max: Vec::with_capacity(self.windows),
        };
        for w in 0..self.windows {
            let mut v: Vec<f64> = per_seed
                .iter()
                .map(|s| s[w] * scale)
                .filter(|x| x.is_finite())
                .collect();
            v.sort_by(f64::total_cmp);
            if v.is_empty() {
                band.median.push(f64::NAN);
                band.min.push(f64::NAN);
                band.max.push(f64::NAN);
            } else {
                let m = if v.len() % 2 == 1 {
                    v[v.len() / 2]
                } else {
                    (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
                };
                band.median.push(m);
                band.min.push(v[0]);
                band.max.push(v[v.len() - 1]);
            }
        }
        Some(band)
    }
}

/// One row of `events.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub time_s: f64,
    pub seed: u64,
    pub component: String,
    pub event: String,
    pub detail: String,
}

/// The most rows `events_from_csv` reads: every actor's event cap over the kept seeds of a
/// scenario of a hundred actors.
const MAX_EVENT_ROWS: usize = MAX_SERIES_SEEDS * 100 * crate::metrics::MAX_EVENTS_PER_ACTOR;

/// Parses `events.csv` (details may be quoted).
pub fn events_from_csv(text: &str) -> Result<Vec<Event>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let mut f = line.splitn(5, ',');
        let bad = || format!("events.csv line {}: not a row archsim writes", i + 1);
        if i > MAX_EVENT_ROWS {
            return Err(format!(
                "events.csv has more than {MAX_EVENT_ROWS} rows, more than archsim writes"
            ));
        }
        let time_s: f64 = f.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        if !(time_s.is_finite() && time_s >= 0.0) {
            return Err(bad());
        }
        let seed = f.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        let component = f.next().ok_or_else(bad)?.to_string();
        let event = f.next().ok_or_else(bad)?.to_string();
        if !(component.is_empty() || plain_name(&component)) || !plain_name(&event) {
            return Err(bad());
        }
        let detail = f.next().unwrap_or("");
        let detail = match detail.strip_prefix('"').and_then(|d| d.strip_suffix('"')) {
            Some(q) => q.replace("\"\"", "\""),
            None => detail.to_string(),
        };
        out.push(Event {
            time_s,
            seed,
            component,
            event,
            detail,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_band_steps_from_window_to_window_and_holds_the_last_to_the_end_of_the_run() {
        // Windows of 2 s over a 5 s run: each value is drawn across its window, and the last
        // one, [4, 5), from 4 s to 5 s.
        let csv = "time_s,seed,component,series,value\n\
                   0,1,a,s,100\n2,1,a,s,99\n4,1,a,s,101\n";
        let table = SeriesTable::from_csv(csv, 2.0).unwrap();
        let band = table.band("a", "s", 1.0).unwrap();
        assert_eq!(band.t, vec![0.0, 2.0, 4.0]);
        let steps = band.clone().stepped_to(5.0);
        assert_eq!(steps.t, vec![0.0, 2.0, 2.0, 4.0, 4.0, 5.0]);
        assert_eq!(steps.median, vec![100.0, 100.0, 99.0, 99.0, 101.0, 101.0]);
        assert_eq!((steps.min[5], steps.max[5]), (101.0, 101.0));
        // A run that ends where the last window starts draws that window as a point.
        assert_eq!(band.stepped_to(4.0).t, vec![0.0, 2.0, 2.0, 4.0, 4.0, 4.0]);
    }

    #[test]
    fn a_table_is_the_same_whatever_the_order_of_its_rows() {
        // Two series, two seeds (listed 7 before 3), a window missing in one seed.
        let rows = [
            "0,7,a,x,1",
            "1,7,a,x,2",
            "2,7,a,x,3",
            "0,3,a,x,4",
            "2,3,a,x,6",
            "0,7,b,y,7",
            "1,7,b,y,8",
            "0,3,b,y,9",
        ];
        let table = |order: &[usize]| {
            let mut csv = String::from("time_s,seed,component,series,value\n");
            for &i in order {
                csv.push_str(rows[i]);
                csv.push('\n');
            }
            SeriesTable::from_csv(&csv, 1.0).unwrap()
        };
        let written = table(&[0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(written.seeds, vec![3, 7]);
        assert_eq!(written.windows, 3);
        let x = &written.data[&("a".to_string(), "x".to_string())];
        assert_eq!(x[1], vec![1.0, 2.0, 3.0]);
        assert_eq!((x[0][0], x[0][2]), (4.0, 6.0));
        assert!(x[0][1].is_nan());
        // b's series never reaches the third window: it is NaN there, in both seeds.
        let y = &written.data[&("b".to_string(), "y".to_string())];
        assert!(y[0][1].is_nan() && y[0][2].is_nan() && y[1][2].is_nan());
        assert_eq!((y[0][0], y[1][0], y[1][1]), (9.0, 7.0, 8.0));
        for order in [[7, 6, 5, 4, 3, 2, 1, 0], [5, 0, 3, 6, 1, 4, 7, 2]] {
            let shuffled = table(&order);
            assert_eq!(shuffled.seeds, written.seeds);
            assert_eq!(shuffled.windows, written.windows);
            assert_eq!(
                format!("{:?}", shuffled.data),
                format!("{:?}", written.data),
                "order {order:?}"
            );
        }
    }

    #[test]
    fn a_table_refuses_more_seeds_than_archsim_writes() {
        let mut csv = String::from("time_s,seed,component,series,value\n");
        for seed in 0..=MAX_SERIES_SEEDS {
            csv.push_str(&format!("0,{seed},a,x,1\n"));
        }
        let e = SeriesTable::from_csv(&csv, 1.0).unwrap_err();
        assert!(e.contains("more than 10 seeds"), "{e}");
    }

    #[test]
    fn a_short_file_cannot_describe_a_table_too_large_to_hold() {
        // A row in the last window, ten seeds, then ever more series: each row is cheap, the
        // table they describe (series × seeds × windows) is not, and it is refused before it
        // is allocated.
        let last = (MAX_WINDOWS - 1).to_string();
        let mut csv = format!("time_s,seed,component,series,value\n{last},0,a,x,1\n");
        for seed in 1..MAX_SERIES_SEEDS {
            csv.push_str(&format!("0,{seed},a,x,1\n"));
        }
        for n in 0..200 {
            csv.push_str(&format!("0,0,a,s{n},1\n"));
        }
        let e = SeriesTable::from_csv(&csv, 1.0).unwrap_err();
        assert!(e.contains("series × seeds × windows"), "{e}");
    }

    #[test]
    fn a_file_of_many_one_value_series_is_refused() {
        // Each series of one value passes the values' bound, but costs its names and lists:
        // past the series' bound the file is refused, before it costs more.
        let mut csv = String::from("time_s,seed,component,series,value\n");
        for n in 0..=MAX_TABLE_SERIES {
            csv.push_str(&format!("0,1,a,s{n},1\n"));
        }
        let e = SeriesTable::from_csv(&csv, 1.0).unwrap_err();
        assert!(e.contains("more than 19200 series"), "{e}");
        // One fewer is read.
        let fewer = csv.rsplit_once("0,1,a,").map(|(head, _)| head).unwrap();
        assert_eq!(
            SeriesTable::from_csv(fewer, 1.0).unwrap().data.len(),
            MAX_TABLE_SERIES
        );
    }
}
