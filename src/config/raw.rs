//! Shapes of a scenario file shared by many tables (distributions, calls, retries, ids), as
//! written: serde types that keep every value's span, so that the validation in `check` can
//! point at the exact line and column of what is wrong.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::de::DeValue;
use toml::Spanned;

/// A `[[component]]` table without its common keys (`id`, `kind`, `az`), handed to the kind's
/// own parser.
pub type RawComponentTable<'i> = Spanned<DeValue<'i>>;

/// A `[[fault]]`: every key any kind takes; `scenario::faults` says which belong to which.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    pub at: Spanned<String>,
    #[serde(rename = "for")]
    pub for_: Option<Spanned<String>>,
    pub kind: Spanned<String>,
    pub az: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
    pub target: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<String>>,
    pub rate: Option<Spanned<f64>>,
    pub status: Option<Spanned<i64>>,
    pub add: Option<Spanned<String>>,
    pub count: Option<Spanned<i64>>,
    pub fraction: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    pub attempts: Option<Spanned<i64>>,
    pub sdk: Option<Spanned<String>>,
    pub backoff: Option<Spanned<String>>,
    pub base: Option<Spanned<String>>,
    pub cap: Option<Spanned<String>>,
    pub jitter: Option<Spanned<String>>,
    pub on: Option<Vec<Spanned<RetryOn>>>,
}

/// An entry of `retry.on`: a status code or the string `"timeout"`.
pub enum RetryOn {
    Status(i64),
    Word(String),
}

impl<'de> Deserialize<'de> for RetryOn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RetryOn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status code such as 503, or \"timeout\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RetryOn, E> {
                Ok(RetryOn::Status(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RetryOn, E> {
                Ok(RetryOn::Word(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A downstream call, shared by every component kind that makes calls.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCall {
    pub to: Spanned<String>,
    pub op: Option<Spanned<String>>,
    pub probability: Option<Spanned<f64>>,
    pub timeout: Option<Spanned<String>>,
    pub latency: Option<Spanned<RawDist>>,
    pub retry: Option<Spanned<RawRetry>>,
    pub mode: Option<Spanned<String>>,
}

/// A number, a string (a duration with its unit) or a list of them, as a distribution
/// parameter is written.
pub enum Quantity {
    Num(f64),
    Str(String),
    List(Vec<Spanned<Quantity>>),
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, a duration such as \"15ms\", or a list of them")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity::Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Ok(Quantity::Num(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity::Str(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Quantity, A::Error> {
                let mut out = Vec::new();
                while let Some(q) = seq.next_element::<Spanned<Quantity>>()? {
                    out.push(q);
                }
                Ok(Quantity::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A distribution as written: a plain value (a constant) or a table such as
/// `{ dist = "lognormal", median = "15ms", p99 = "60ms" }`.
pub enum RawDist {
    Constant(Quantity),
    Table {
        dist: Option<Spanned<String>>,
        params: Vec<(Spanned<String>, Spanned<Quantity>)>,
    },
}

impl<'de> Deserialize<'de> for RawDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDist;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value such as \"15ms\", or a table such as { dist = \"exponential\", mean = \"10ms\" }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawDist, E> {
                Ok(RawDist::Constant(Quantity::Num(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawDist, E> {
                Ok(RawDist::Constant(Quantity::Num(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDist, E> {
                Ok(RawDist::Constant(Quantity::Str(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDist, A::Error> {
                let mut dist = None;
                let mut params = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    if key.get_ref() == "dist" {
                        dist = Some(map.next_value::<Spanned<String>>()?);
                    } else {
                        params.push((key, map.next_value::<Spanned<Quantity>>()?));
                    }
                }
                Ok(RawDist::Table { dist, params })
            }
        }
        d.deserialize_any(V)
    }
}

/// Component ids as written: one id (`"web"`) or a list (`["web-a", "web-b"]`).
pub enum RawIds {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl RawIds {
    /// The ids, each with its span (a single id takes the span of the whole value).
    pub fn into_list(v: &Spanned<RawIds>) -> Vec<Spanned<String>> {
        match v.get_ref() {
            RawIds::One(s) => vec![Spanned::new(v.span(), s.clone())],
            RawIds::Many(l) => l.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for RawIds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawIds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a component id such as \"web\", or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawIds, E> {
                Ok(RawIds::One(v.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawIds, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element::<Spanned<String>>()? {
                    out.push(x);
                }
                Ok(RawIds::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}
