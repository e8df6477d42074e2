//! The `dynamodb` table: its keys as written, and the validated config.

use super::autoscaling::{
    DEFAULT_LAG, DEFAULT_MAX_FACTOR, ON_DEMAND_INITIAL_READ, ON_DEMAND_INITIAL_WRITE,
    ON_DEMAND_MAX, TARGET_MAX, TARGET_MIN,
};
use super::partitions::partitions_needed;
use super::stream_config::{self, RawStream, StreamConfig};
use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::CallSpec;
use crate::config::Checker;
use crate::dist::Dist;
use crate::kernel::{Msg, SimTime};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDynamo {
    mode: Option<Spanned<String>>,
    rcu: Option<Spanned<f64>>,
    wcu: Option<Spanned<f64>>,
    partitions: Option<Spanned<i64>>,
    consistency: Option<Spanned<String>>,
    read_latency: Option<Spanned<RawDist>>,
    write_latency: Option<Spanned<RawDist>>,
    writes: Option<Vec<Spanned<String>>>,
    transactions: Option<Vec<Spanned<String>>>,
    autoscaling: Option<Spanned<RawAutoscaling>>,
    dax: Option<Spanned<RawDax>>,
    warm_throughput: Option<Spanned<RawUnits>>,
    max_throughput: Option<Spanned<RawUnits>>,
    split_delay: Option<Spanned<String>>,
    burst_banked: Option<Spanned<String>>,
    local_secondary_index: Option<bool>,
    streams: Option<Spanned<bool>>,
    monotonic_sort_key: Option<bool>,
    stream: Option<Spanned<RawStream>>,
}

/// Read and write units per second: `{ read = …, write = … }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnits {
    read: Option<Spanned<f64>>,
    write: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAutoscaling {
    target: Spanned<f64>,
    max_rcu: Option<Spanned<f64>>,
    max_wcu: Option<Spanned<f64>>,
    lag: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDax {
    ttl: Option<Spanned<String>>,
    capacity: Option<Spanned<i64>>,
    latency: Option<Spanned<RawDist>>,
}

/// How the table is paid for and how its capacity moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// Capacity units set by the scenario (moved by auto scaling, if any).
    Provisioned {
        /// Read capacity units [RCU/s].
        rcu: f64,
        /// Write capacity units [WCU/s].
        wcu: f64,
    },
    /// Capacity that follows the traffic, up to twice its previous peak.
    OnDemand,
}

/// Target tracking on a provisioned table's read and write capacity.
#[derive(Clone, Debug)]
pub struct Autoscaling {
    /// Target utilisation of provisioned capacity [share], 0.2 to 0.9.
    pub target: f64,
    /// The most read capacity it scales out to [RCU/s].
    pub max_rcu: f64,
    /// The most write capacity it scales out to [WCU/s].
    pub max_wcu: f64,
    /// Time from the alarm to the new capacity being in effect [s].
    pub lag: SimTime,
}

/// DynamoDB Accelerator in front of the table: an item cache.
#[derive(Clone, Debug)]
pub struct Dax {
    /// How long an item stays in the cache [s].
    pub ttl: SimTime,
    /// The most items the cache holds, the least recently used evicted first [items].
    pub capacity: usize,
    /// One trip to the DAX cluster and back [s].
    pub latency: Dist,
    /// The operations DAX answers from its query cache, not its item cache (aws-facts: §7
    /// DAX: Query and Scan; the operations named `query` and `scan`, as for IAM).
    pub queries: [u16; 2],
}

/// A validated `dynamodb` table.
#[derive(Clone, Debug)]
pub struct DynamoConfig {
    /// Provisioned (with its capacity units) or on demand.
    pub mode: Mode,
    /// Partitions the table starts with [partitions]; more are split off as capacity grows.
    pub partitions: u32,
    /// Whether reads are strongly consistent (a whole unit per 4 KB, never from DAX).
    pub strong_reads: bool,
    /// Time a read takes, the table being reached [s].
    pub read_latency: Dist,
    /// Time a write takes, the table being reached [s].
    pub write_latency: Dist,
    /// Operations that write [operation indices]; every other operation reads.
    pub writes: Vec<u16>,
    /// Operations that are transactional (twice the capacity) [operation indices].
    pub transactions: Vec<u16>,
    /// Target tracking on the provisioned capacity; `None`: fixed capacity.
    pub autoscaling: Option<Autoscaling>,
    /// DAX in front; `None`: requests reach the table directly.
    pub dax: Option<Dax>,
    /// Read and write units per second the table serves at once (its warm throughput): on
    /// demand, the least its ceiling ever is; provisioned, what its partitions are sized for
    /// [units/s].
    pub warm: (f64, f64),
    /// On demand: the most read and write units per second the table serves [units/s].
    pub max_throughput: (f64, f64),
    /// How long a partition throttles before its hottest key is split off to a partition of
    /// its own; `None`: the table cannot split for heat (`split_blocked` says why) [s].
    pub split_delay: Option<SimTime>,
    /// Why the table cannot split for heat, when it cannot.
    pub split_blocked: Option<&'static str>,
    /// Provisioned: the unused capacity banked for bursts when the run starts, as seconds of
    /// its provisioned rate (at most `partitions::BURST_SECONDS`, 300) [s]. aws-facts: §7
    /// bursts: DynamoDB keeps up to 300 s of unused capacity; what a table holds when the
    /// run starts it cannot say: full (300 s) is a table long under its capacity, 0 s one
    /// that has used it all.
    pub burst_banked: SimTime,
    /// Its stream and the event source mapping reading it; `None`: no records are kept.
    pub stream: Option<StreamConfig>,
    /// Its calls: the stream's consumer, then its on-failure queue (none without a stream).
    pub calls: Vec<CallSpec>,
}

/// The most capacity units a table may be given on either side: 250 times AWS's default
/// table quota of 40,000 (aws-facts §7, raisable on request); at both maxima the classic
/// sizing rule gives 13,334 partitions.
pub(super) const MAX_UNITS: f64 = crate::limits::MAX_DYNAMODB_UNITS;
const MAX_UNITS_WHY: &str =
    "AWS's default table quota is 40,000; this model takes up to 250 times that";
/// The most partitions a table may be given [partitions].
pub(super) const MAX_PARTITIONS: i64 = 100_000;
/// aws-facts: §7 DAX: an item cache with a 5-minute default TTL.
const DAX_TTL: SimTime = SimTime::from_secs(300);
/// The items DAX holds by default: a choice (the facts give no size), large enough that
/// the TTL rather than eviction decides most hits.
pub(super) const DAX_CAPACITY: i64 = 1_000_000;

/// aws-facts: §7 split for heat: the delay before a split is undocumented ("throttling
/// events that stop after a short period"); 5 minutes is a choice.
const DEFAULT_SPLIT_DELAY: SimTime = SimTime::from_secs(300);

/// aws-facts: §7: single-digit milliseconds; the facts give no distribution, so a lognormal
/// of 3 ms median (reads) and 5 ms (writes) is a choice.
fn default_read_latency() -> Dist {
    Dist::lognormal_median_p99(0.003, 0.010).expect("valid")
}

fn default_write_latency() -> Dist {
    Dist::lognormal_median_p99(0.005, 0.015).expect("valid")
}

/// aws-facts: §7 DAX: hits in microseconds; a few hundred of them, a choice.
fn default_dax_latency() -> Dist {
    Dist::Uniform {
        min: 0.000_3,
        max: 0.000_8,
    }
}

/// Reads and validates a `dynamodb` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<DynamoConfig> {
    // Where the component is written: for messages about a key it lacks.
    let at = table.span().start..table.span().start;
    let raw: RawDynamo = ck.deserialize(table)?;
    let mode = parse_mode(&raw, at, ck)?;
    // What the table serves from its first second (`parse_throughput`): its provisioned
    // units, or on demand a new table's 12,000 read and 4,000 write units, either raised by
    // `warm_throughput`. The classic sizing rule gives its partitions (8 for a new on-demand
    // table).
    let throughput = parse_throughput(&raw, mode, ck);
    let default_partitions =
        throughput.map_or(1, |((read, write), _)| partitions_needed(read, write, 1));
    let partitions = ck.int_or(
        &raw.partitions,
        "partitions",
        (1, MAX_PARTITIONS),
        i64::from(default_partitions),
    );
    let strong_reads = ck
        .one_of_or(
            &raw.consistency,
            "consistency",
            &["eventual", "strong"],
            "eventual",
        )
        .map(|c| c == "strong");
    let read_latency = ck.time_dist_or(&raw.read_latency, "read_latency", default_read_latency());
    let write_latency =
        ck.time_dist_or(&raw.write_latency, "write_latency", default_write_latency());
    let writes = ck.write_ops(&raw.writes);
    let transactions = raw
        .transactions
        .as_ref()
        .map_or_else(Vec::new, |l| l.iter().map(|o| ck.op(o.get_ref(), "a table's `transactions`, and it takes any operation it does not list as a plain read or write")).collect());
    // A wrong `autoscaling` table stops the parse here, before `dax` is read; one on an
    // on-demand table does not.
    let autoscaling = match mode {
        Mode::Provisioned { rcu, wcu } => Some(ck.or(&raw.autoscaling, None, |ck, a| {
            parse_autoscaling(a.get_ref(), rcu, wcu, ck).map(Some)
        })?),
        Mode::OnDemand => ck.or(&raw.autoscaling, None, |ck, a| {
            ck.error(a.span(), "`autoscaling` belongs to mode = \"provisioned\"");
            None
        }),
    };
    let dax = ck.or(&raw.dax, None, |ck, d| parse_dax(d.get_ref(), ck).map(Some));
    let (warm, max_throughput) = throughput?;
    let split_delay = ck.positive_duration_or(&raw.split_delay, "split_delay", DEFAULT_SPLIT_DELAY);
    let split_blocked = split_blocked(&raw, mode);
    let burst_banked = ck.or(&raw.burst_banked, MAX_BURST_BANKED, |ck, b| {
        if mode == Mode::OnDemand {
            ck.error(
                b.span(),
                "`burst_banked` belongs to mode = \"provisioned\": an on-demand table has no provisioned capacity to bank",
            );
            return None;
        }
        let t = ck.duration(b, "burst_banked")?;
        if t > MAX_BURST_BANKED {
            ck.error(
                b.span(),
                format!("`burst_banked` is {t}; DynamoDB banks at most 5m (300 s) of unused capacity: give 0s to 5m"),
            );
            return None;
        }
        Some(t)
    });
    let stream = parse_stream(&raw, ck);
    let stream = stream?;
    let calls = stream.as_ref().map_or_else(Vec::new, StreamConfig::calls);
    Some(DynamoConfig {
        mode,
        partitions: partitions? as u32,
        strong_reads: strong_reads?,
        read_latency: read_latency?,
        write_latency: write_latency?,
        writes,
        transactions,
        autoscaling: autoscaling?,
        dax: dax?,
        warm,
        max_throughput,
        split_delay: split_delay.filter(|_| split_blocked.is_none()),
        split_blocked,
        burst_banked: burst_banked?,
        stream,
        calls,
    })
}

/// aws-facts: §7 bursts: up to 300 s of unused provisioned capacity banked.
pub const MAX_BURST_BANKED: SimTime = SimTime::from_secs(300);

/// `stream = { … }`, which turns Streams on: `streams = false` beside it contradicts it.
fn parse_stream(raw: &RawDynamo, ck: &mut Checker) -> Option<Option<StreamConfig>> {
    let Some(s) = &raw.stream else {
        return Some(None);
    };
    if let Some(off) = raw.streams.as_ref().filter(|b| !*b.get_ref()) {
        ck.error(
            off.span(),
            "`streams = false` contradicts the `stream` table beside it, which turns Streams on: leave `streams` out",
        );
        return None;
    }
    stream_config::parse(s.get_ref(), ck).map(Some)
}

/// Why split for heat cannot happen (aws-facts: §7 split for heat, its exceptions), or `None`.
fn split_blocked(raw: &RawDynamo, mode: Mode) -> Option<&'static str> {
    if raw.local_secondary_index == Some(true) {
        Some("a local secondary index")
    } else if raw.monotonic_sort_key == Some(true) {
        Some("a monotonic sort key")
    } else if (raw.streams.as_ref().is_some_and(|b| *b.get_ref()) || raw.stream.is_some())
        && matches!(mode, Mode::Provisioned { .. })
    {
        Some("Streams on a provisioned table")
    } else {
        None
    }
}

/// `warm_throughput` and `max_throughput`: `None` when they are wrong (reported on `ck`).
fn parse_throughput(
    raw: &RawDynamo,
    mode: Mode,
    ck: &mut Checker,
) -> Option<((f64, f64), (f64, f64))> {
    let units = |ck: &mut Checker, v: &Option<Spanned<f64>>, key: &str, default: f64| {
        ck.or(v, default, |ck, x| {
            ck.positive_up_to(x, key, "units per second", MAX_UNITS, MAX_UNITS_WHY)
        })
    };
    let max = match (mode, &raw.max_throughput) {
        (Mode::Provisioned { .. }, Some(m)) => {
            ck.error(
                m.span(),
                "`max_throughput` belongs to mode = \"on_demand\"; a provisioned table is held to its `rcu` and `wcu`",
            );
            return None;
        }
        (_, Some(m)) => {
            let m = m.get_ref();
            let r = units(ck, &m.read, "max_throughput.read", ON_DEMAND_MAX);
            let w = units(ck, &m.write, "max_throughput.write", ON_DEMAND_MAX);
            (r?, w?)
        }
        (_, None) => (ON_DEMAND_MAX, ON_DEMAND_MAX),
    };
    // aws-facts: §7 warm throughput: a new on-demand table serves 12,000 read and 4,000 write
    // units at once, and can be pre-warmed higher, never lower; a provisioned table serves
    // what it is provisioned for.
    let least = match mode {
        Mode::Provisioned { rcu, wcu } => (rcu, wcu),
        Mode::OnDemand => (ON_DEMAND_INITIAL_READ, ON_DEMAND_INITIAL_WRITE),
    };
    let Some(w) = &raw.warm_throughput else {
        return Some((least, max));
    };
    let mut warm = [least.0, least.1];
    let sides = [
        (&w.get_ref().read, "read", least.0, max.0, 0),
        (&w.get_ref().write, "write", least.1, max.1, 1),
    ];
    for (v, side, least, max, i) in sides {
        let Some(v) = v else { continue };
        let key = format!("warm_throughput.{side}");
        let x = units(ck, &Some(v.clone()), &key, 0.0)?;
        if matches!(mode, Mode::OnDemand) && x < least {
            ck.error(
                v.span(),
                format!("`{key}` ({x}) is below a new on-demand table's {least}: warm throughput is raised, never lowered"),
            );
            return None;
        }
        if matches!(mode, Mode::OnDemand) && x > max {
            ck.error(
                v.span(),
                format!("`{key}` ({x}) is above the table's most, {max} (`max_throughput.{side}`)"),
            );
            return None;
        }
        warm[i] = x.max(least);
    }
    Some(((warm[0], warm[1]), max))
}

/// The capacity mode and, when provisioned, its units; `None` stops the table's parse.
fn parse_mode(raw: &RawDynamo, at: std::ops::Range<usize>, ck: &mut Checker) -> Option<Mode> {
    let mode = ck.one_of_or(
        &raw.mode,
        "mode",
        &["provisioned", "on_demand"],
        "provisioned",
    )?;
    if mode != "provisioned" {
        for (k, v) in [("rcu", &raw.rcu), ("wcu", &raw.wcu)] {
            if let Some(v) = v {
                ck.error(v.span(), format!("`{k}` belongs to mode = \"provisioned\"; an on-demand table scales by itself"));
                return None;
            }
        }
        return Some(Mode::OnDemand);
    }
    if raw.rcu.is_none() || raw.wcu.is_none() {
        let missing = match (&raw.rcu, &raw.wcu) {
            (None, None) => "`rcu` and `wcu`",
            (None, Some(_)) => "`rcu`",
            _ => "`wcu`",
        };
        ck.error(
            raw.mode.as_ref().map_or(at, |m| m.span()),
            format!("a provisioned table needs `rcu` and `wcu` (read and write capacity units); this one lacks {missing}"),
        );
    }
    let rcu = raw
        .rcu
        .as_ref()
        .and_then(|r| ck.positive_up_to(r, "rcu", "read capacity units", MAX_UNITS, MAX_UNITS_WHY));
    let wcu = raw.wcu.as_ref().and_then(|w| {
        ck.positive_up_to(w, "wcu", "write capacity units", MAX_UNITS, MAX_UNITS_WHY)
    });
    Some(Mode::Provisioned {
        rcu: rcu?,
        wcu: wcu?,
    })
}

/// `autoscaling = { … }` on a table provisioned with `rcu` and `wcu`.
fn parse_autoscaling(
    raw: &RawAutoscaling,
    rcu: f64,
    wcu: f64,
    ck: &mut Checker,
) -> Option<Autoscaling> {
    let target = match *raw.target.get_ref() {
        t if (TARGET_MIN..=TARGET_MAX).contains(&t) => Some(t),
        t => {
            // A percent written for the fraction (EC2 Auto Scaling's CPU target is a percent).
            let hint = if (TARGET_MIN * 100.0..=TARGET_MAX * 100.0).contains(&t) {
                crate::config::check::percent_hint(t)
            } else {
                String::new()
            };
            ck.error(
                raw.target.span(),
                format!("`autoscaling.target` is a utilisation from 0.2 to 0.9 (a fraction), not {t}{hint}"),
            );
            None
        }
    };
    let max_rcu = ck.or(&raw.max_rcu, rcu * DEFAULT_MAX_FACTOR, |ck, m| {
        ck.positive_up_to(
            m,
            "autoscaling.max_rcu",
            "read capacity units",
            MAX_UNITS,
            MAX_UNITS_WHY,
        )
    });
    let max_wcu = ck.or(&raw.max_wcu, wcu * DEFAULT_MAX_FACTOR, |ck, m| {
        ck.positive_up_to(
            m,
            "autoscaling.max_wcu",
            "write capacity units",
            MAX_UNITS,
            MAX_UNITS_WHY,
        )
    });
    // Auto scaling moves capacity between the table's own and its maximum: a maximum below
    // the table's capacity leaves it nowhere to go.
    for (max, side, key, own) in [
        (&max_rcu, &raw.max_rcu, "max_rcu", ("rcu", rcu)),
        (&max_wcu, &raw.max_wcu, "max_wcu", ("wcu", wcu)),
    ] {
        if let (Some(m), Some(written)) = (max, side) {
            if *m < own.1 {
                ck.error(
                    written.span(),
                    format!(
                        "`autoscaling.{key}` ({m}) is below the table's `{}` ({}): auto scaling scales between the two",
                        own.0, own.1
                    ),
                );
                return None;
            }
        }
    }
    let lag = ck.duration_or(&raw.lag, "autoscaling.lag", DEFAULT_LAG);
    Some(Autoscaling {
        target: target?,
        max_rcu: max_rcu?,
        max_wcu: max_wcu?,
        lag: lag?,
    })
}

/// `dax = { … }`.
fn parse_dax(raw: &RawDax, ck: &mut Checker) -> Option<Dax> {
    let ttl = ck.positive_duration_or(&raw.ttl, "dax.ttl", DAX_TTL);
    let capacity = ck.int_or(
        &raw.capacity,
        "dax.capacity",
        // The item cache and the query cache each hold `capacity`: together within the limit.
        (1, crate::limits::MAX_CACHE_ENTRIES / 2),
        DAX_CAPACITY,
    );
    let latency = ck.time_dist_or(&raw.latency, "dax.latency", default_dax_latency());
    Some(Dax {
        ttl: ttl?,
        capacity: capacity? as usize,
        latency: latency?,
        queries: ["query", "scan"].map(|o| {
            ck.op(
                o,
                "DAX as a query or scan, and it takes any other read as a GetItem",
            )
        }),
    })
}

impl DynamoConfig {
    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![match self.mode {
            Mode::Provisioned { rcu, wcu } => format!("{rcu} RCU / {wcu} WCU"),
            Mode::OnDemand => "on-demand".to_string(),
        }];
        lines.push(format!(
            "{} partition{}{}",
            self.partitions,
            if self.partitions == 1 { "" } else { "s" },
            if self.autoscaling.is_some() {
                ", auto scaling"
            } else {
                ""
            }
        ));
        if self.dax.is_some() {
            lines.push("DAX in front".to_string());
        }
        if let Some(s) = &self.stream {
            lines.push(s.line());
        }
        if let Some(why) = self.split_blocked {
            lines.push(format!("no split for heat ({why})"));
        }
        lines
    }

    /// Capacity units a request consumes (aws-facts: §7 capacity units): reads by 4 KB, half
    /// for eventually consistent reads; writes by 1 KB; transactions twice.
    pub fn units(&self, msg: &Msg) -> (bool, f64) {
        self.item_units(msg.op, msg.size_bytes)
    }

    /// Capacity units one item of operation `op` and `size` bytes consumes, and whether it
    /// is a write: a batch's items each round up on their own (aws-facts: §7 capacity units;
    /// AWS's BatchWriteItem: "rounds up the size of each item", a 500-byte and a 3.5 KB item
    /// are 5 KB, not 4).
    pub fn item_units(&self, op: u16, size: u32) -> (bool, f64) {
        let write = self.writes.contains(&op);
        let txn = if self.transactions.contains(&op) {
            2.0
        } else {
            1.0
        };
        let size = f64::from(size.max(1));
        if write {
            (true, (size / 1024.0).ceil() * txn)
        } else {
            let consistency = if self.strong_reads || txn > 1.0 {
                1.0
            } else {
                0.5
            };
            (false, (size / 4096.0).ceil() * consistency * txn)
        }
    }
}
