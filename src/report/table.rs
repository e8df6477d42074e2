//! The data plots are drawn from, read back from `timeseries.csv` and `events.csv`, so that
//! `archsim plot DIR` and `archsim run` draw the very same pictures.

use std::collections::BTreeMap;

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
    /// Window start times [s].
    pub t: Vec<f64>,
    pub median: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

impl SeriesTable {
    /// Parses `timeseries.csv`; `window_s` comes from `summary.json`.
    pub fn from_csv(text: &str, window_s: f64) -> Result<SeriesTable, String> {
        let mut lines = text.lines();
        match lines.next() {
            Some("time_s,seed,component,series,value") => {}
            other => return Err(format!("timeseries.csv: unexpected header {other:?}")),
        }
        let mut rows: Vec<(usize, u64, String, String, f64)> = Vec::new();
        for (i, line) in lines.enumerate() {
            let f: Vec<&str> = line.split(',').collect();
            let bad = || format!("timeseries.csv line {}: cannot read {line:?}", i + 2);
            if f.len() != 5 {
                return Err(bad());
            }
            let t: f64 = f[0].parse().map_err(|_| bad())?;
            let seed: u64 = f[1].parse().map_err(|_| bad())?;
            let v: f64 = f[4].parse().map_err(|_| bad())?;
            let w = (t / window_s).round() as usize;
            rows.push((w, seed, f[2].to_string(), f[3].to_string(), v));
        }
        let mut seeds: Vec<u64> = rows.iter().map(|r| r.1).collect();
        seeds.sort_unstable();
        seeds.dedup();
        let windows = rows.iter().map(|r| r.0 + 1).max().unwrap_or(0);
        let mut data: BTreeMap<(String, String), Vec<Vec<f64>>> = BTreeMap::new();
        for (w, seed, actor, series, v) in rows {
            let si = seeds.binary_search(&seed).unwrap_or(0);
            let slot = data
                .entry((actor, series))
                .or_insert_with(|| vec![vec![f64::NAN; windows]; seeds.len()]);
            slot[si][w] = v;
        }
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

/// Parses `events.csv` (details may be quoted).
pub fn events_from_csv(text: &str) -> Result<Vec<Event>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let mut f = line.splitn(5, ',');
        let bad = || format!("events.csv line {}: cannot read {line:?}", i + 1);
        let time_s = f.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        let seed = f.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        let component = f.next().ok_or_else(bad)?.to_string();
        let event = f.next().ok_or_else(bad)?.to_string();
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
