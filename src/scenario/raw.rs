//! The scenario's own tables as written (`[scenario]`, `[[workload]]`, `[[fault]]`,
//! `[[expect]]`, `[account]`, `[network]`): serde structs that keep every value's span.

use crate::config::raw::{RawDist, RawRetry};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub question: Option<Spanned<String>>,
    pub lesson: Option<Spanned<String>>,
    pub compare: Option<Spanned<String>>,
    pub compare_metrics: Option<Spanned<Vec<Spanned<String>>>>,
    pub latency: Option<Spanned<String>>,
    pub duration: Spanned<String>,
    pub warmup: Option<Spanned<String>>,
    pub seed: Option<Spanned<i64>>,
    pub seeds: Option<Spanned<i64>>,
    pub window: Option<Spanned<String>>,
    pub max_in_flight: Option<Spanned<i64>>,
}

/// An `[[expect]]`: a bound on one number of `summary.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub metric: Option<Spanned<String>>,
    pub series: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub until: Option<Spanned<String>>,
    pub min: Option<Spanned<f64>>,
    pub max: Option<Spanned<f64>>,
    pub each_seed: Option<Spanned<bool>>,
    pub variant: Option<Spanned<String>>,
    pub relative_to: Option<Spanned<String>>,
}

/// `[account]`: quotas AWS applies across all resources of a kind in the account and Region.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    pub api_gateway_rate: Option<Spanned<f64>>,
    pub api_gateway_burst: Option<Spanned<i64>>,
    pub lambda_concurrency: Option<Spanned<i64>>,
    pub lambda_rate_burst: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub same_az: Option<Spanned<RawDist>>,
    pub cross_az: Option<Spanned<RawDist>>,
    pub cross_region: Option<Spanned<RawDist>>,
    pub region: Option<Spanned<String>>,
    pub ephemeral_ports: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    pub name: Spanned<String>,
    pub target: Spanned<String>,
    pub arrival: Spanned<RawArrival>,
    pub mix: Option<Vec<RawMix>>,
    pub keys: Option<Spanned<RawKeys>>,
    pub size: Option<Spanned<RawDist>>,
    pub timeout: Option<Spanned<String>>,
    pub retry: Option<Spanned<RawRetry>>,
    pub latency: Option<Spanned<RawDist>>,
    pub api_keys: Option<Spanned<i64>>,
    pub browser: Option<Spanned<bool>>,
    pub origin: Option<Spanned<String>>,
    pub browsers: Option<Spanned<i64>>,
    pub browser_engine: Option<Spanned<String>>,
    pub headers: Option<Vec<Spanned<String>>>,
    pub trace: Option<Spanned<RawTrace>>,
}

/// `trace = false`, or `trace = { … }`: a workload's sampling rule.
pub enum RawTrace {
    /// `false` turns tracing off; `true` keeps the default rule.
    Switch(bool),
    Rule(RawTraceRule),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraceRule {
    pub reservoir_per_second: Option<Spanned<i64>>,
    pub rate: Option<Spanned<f64>>,
    pub slowest: Option<Spanned<i64>>,
    pub sample: Option<Spanned<i64>>,
}

// By hand rather than `untagged`, so that an unknown key in the table keeps serde's own
// message (which the checker locates and rewords) instead of "did not match any variant".
impl<'de> Deserialize<'de> for RawTrace {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawTrace;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("false, or a table { reservoir_per_second, rate, slowest, sample }")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<RawTrace, E> {
                Ok(RawTrace::Switch(b))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawTrace, A::Error> {
                RawTraceRule::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawTrace::Rule)
            }
        }
        d.deserialize_any(V)
    }
}

/// Every key any arrival process takes; `check` says which belong to the chosen process.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArrival {
    pub process: Spanned<String>,
    pub rate: Option<Spanned<f64>>,
    pub steps: Option<Vec<Spanned<RawStep>>>,
    pub from: Option<Spanned<f64>>,
    pub to: Option<Spanned<f64>>,
    pub over: Option<Spanned<String>>,
    pub base: Option<Spanned<f64>>,
    pub peak: Option<Spanned<f64>>,
    pub at: Option<Spanned<String>>,
    #[serde(rename = "for")]
    pub for_: Option<Spanned<String>>,
    pub mean: Option<Spanned<f64>>,
    pub amplitude: Option<Spanned<f64>>,
    pub period: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
}

/// A `["10m", 1200]` pair of a step profile: from this time on, this rate.
pub type RawStep = (Spanned<String>, Spanned<f64>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMix {
    pub op: Spanned<String>,
    pub weight: Spanned<f64>,
    pub method: Option<Spanned<String>>,
    pub content_type: Option<Spanned<String>>,
    pub preflight: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeys {
    pub dist: Spanned<String>,
    pub count: Spanned<i64>,
    pub exponent: Option<Spanned<f64>>,
}
