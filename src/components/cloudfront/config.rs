//! The `cloudfront` table: its keys as written, and the validated config.

use crate::config::raw::{RawComponentTable, RawDist};
use crate::config::{CallSpec, Checker, OpChoice};
use crate::dist::Dist;
use crate::kernel::SimTime;
use crate::limits::{MAX_CACHE_ENTRIES, MAX_EDGE_LOCATIONS, MAX_MIX_WEIGHT};
use crate::retry::{RetryPolicy, RetrySpec};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCloudFront {
    origin: Spanned<String>,
    edges: Option<Spanned<i64>>,
    edge_locations: Option<Spanned<Vec<RawEdge>>>,
    regional_caches: Option<Spanned<i64>>,
    origin_shield: Option<bool>,
    min_ttl: Option<Spanned<String>>,
    default_ttl: Option<Spanned<String>>,
    max_ttl: Option<Spanned<String>>,
    max_age: Option<Spanned<String>>,
    max_age_by_op: Option<Vec<RawMaxAge>>,
    capacity: Option<Spanned<i64>>,
    cached: Option<Vec<Spanned<String>>>,
    hit_latency: Option<Spanned<RawDist>>,
    tier_latency: Option<Spanned<RawDist>>,
    origin_latency: Option<Spanned<RawDist>>,
    connection_timeout: Option<Spanned<String>>,
    connection_attempts: Option<Spanned<i64>>,
    read_timeout: Option<Spanned<String>>,
    serve_stale: Option<bool>,
    error_caching_min_ttl: Option<Spanned<String>>,
    price_per_10k_requests: Option<Spanned<f64>>,
    price_per_gb: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdge {
    name: Spanned<String>,
    weight: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaxAge {
    op: Spanned<String>,
    max_age: Spanned<String>,
}

/// An edge location and the share of viewers near it.
#[derive(Clone, Debug)]
pub struct EdgeLocation {
    /// Its name, for the summary (`edge_hit_ratio.<name>`).
    pub name: String,
    /// Its share of the requests [0–1]; the shares add up to 1.
    pub share: f64,
}

/// A validated `cloudfront` distribution.
#[derive(Clone, Debug)]
pub struct CloudFrontConfig {
    /// The edge locations viewers are spread over, each with a cache of its own.
    pub edges: Vec<EdgeLocation>,
    /// Regional edge caches between the edges and the origin (edge i goes to cache i mod n);
    /// 0: the edges go straight to the origin (or Origin Shield), as they do for an S3
    /// origin in the Region of their regional edge cache.
    pub regional_caches: usize,
    /// Whether Origin Shield, one more cache that every miss above goes through, is on.
    pub origin_shield: bool,
    /// The cache policy's MinTTL [s].
    pub min_ttl: SimTime,
    /// The cache policy's DefaultTTL, used when the origin sends no max-age [s].
    pub default_ttl: SimTime,
    /// The cache policy's MaxTTL [s].
    pub max_ttl: SimTime,
    /// The max-age the origin sends with every object [s]; `None`: none.
    pub max_age: Option<SimTime>,
    /// The max-age the origin sends for the objects of an operation, overriding `max_age`.
    pub max_age_by_op: Vec<(u16, SimTime)>,
    /// The most objects each cache (edge, regional, shield) holds [entries].
    pub capacity: usize,
    /// Operations whose answers are cached (GET and HEAD, OPTIONS when listed) [op indices];
    /// every other operation is forwarded to the origin and never cached.
    pub cached: Vec<u16>,
    /// The cached operations that are OPTIONS, a proxy method: an edge's miss for one goes
    /// past the regional edge caches [op indices].
    pub cached_proxies: Vec<u16>,
    /// Time an edge takes to serve an answer it has [s].
    pub hit_latency: Dist,
    /// One-way time between two cache tiers (an edge and its regional cache, a regional
    /// cache and Origin Shield) [s].
    pub tier_latency: Dist,
    /// How long one connection attempt to the origin may take before it is given up [s].
    pub connection_timeout: SimTime,
    /// Connection attempts to the origin before the viewer gets 504 [attempts].
    pub connection_attempts: u32,
    /// How long CloudFront waits for the origin's response once connected [s].
    pub read_timeout: SimTime,
    /// Whether an expired object still held is served when the origin fails (5xx, timeout).
    pub serve_stale: bool,
    /// How long a cache keeps an error response of a status CloudFront caches (the error
    /// caching minimum TTL); zero: errors are not cached [s].
    pub error_caching_min_ttl: SimTime,
    /// Price of 10,000 requests [USD].
    pub price_per_10k_requests: f64,
    /// Price of a GB served to viewers [USD/GB].
    pub price_per_gb: f64,
    /// The call to the origin.
    pub calls: Vec<CallSpec>,
}

// aws-facts: §9 CloudFront TTLs: the cache policy's defaults.
const DEFAULT_MIN_TTL: SimTime = SimTime::ZERO;
const DEFAULT_DEFAULT_TTL: SimTime = SimTime::from_secs(86_400);
const DEFAULT_MAX_TTL: SimTime = SimTime::from_secs(31_536_000);
/// Not in aws-facts: CloudFront's developer guide, "Control how long CloudFront caches errors"
/// (custom-error-pages-expiration.html): "CloudFront caches error responses for a default
/// duration of 10 seconds", the error caching minimum TTL.
const DEFAULT_ERROR_CACHING_MIN_TTL: SimTime = SimTime::from_secs(10);
/// Not in aws-facts: CloudFront's developer guide, "HTTP 4xx and 5xx status codes that
/// CloudFront caches" (HTTPStatusCodes.html): these it always caches. 400, 403, 412 and 415
/// it caches only when the origin's error response carries Cache-Control max-age; the origin
/// here sends its max-age with its objects, not its errors, so those are not cached. 416 is
/// never cached.
const ALWAYS_CACHED_ERRORS: [u16; 8] = [404, 405, 414, 500, 501, 502, 503, 504];
// aws-facts: §9 CloudFront origin timeouts: connection 10 s (1–10), 3 attempts (1–3),
// response (read) timeout 30 s (1–60, up to 180 by a quota increase).
const DEFAULT_CONNECTION_TIMEOUT: SimTime = SimTime::from_secs(10);
const MAX_CONNECTION_TIMEOUT: SimTime = SimTime::from_secs(10);
const DEFAULT_READ_TIMEOUT: SimTime = SimTime::from_secs(30);
const MAX_READ_TIMEOUT: SimTime = SimTime::from_secs(180);
/// Not in aws-facts: CloudFront's developer guide, "How CloudFront works with regional edge
/// caches" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HowCloudFrontWorks.html#CloudFrontRegionaledgecaches):
/// an edge location (POP) that misses "typically goes to the nearest regional edge cache",
/// and that cache to the origin; no distribution setting turns them on or off. The guide's
/// first text of the feature said so outright: "Regional edge caches are enabled by default
/// for all CloudFront distributions", at "no additional cost"
/// (https://github.com/awsdocs/amazon-cloudfront-developer-guide/blob/6b5da6a2065571527b2d06b7370678b815ac1dc8/doc_source/CloudFrontRegionaledgecaches.md).
/// How many a distribution's viewers reach depends on where they are, which AWS does not
/// publish per distribution: one, shared by every edge, is the choice for edges of one
/// geography (write more for viewers on several continents). Zero stays allowed for the
/// documented case where the edges skip it: "When the origin is an Amazon S3 bucket and the
/// request's optimal regional edge cache is in the same AWS Region as the S3 bucket, the POP
/// skips the regional edge cache and goes directly to the S3 bucket."
const DEFAULT_REGIONAL_CACHES: i64 = 1;
/// Objects a cache holds by default [entries]: a choice. AWS does not publish an edge's
/// size; a static site's objects fit, so eviction stays rare.
const DEFAULT_CAPACITY: i64 = 100_000;
/// Not in aws-facts: AWS's CloudFront price page, HTTPS requests in the United States,
/// Mexico, Canada and Europe: $0.0100 per 10,000 (the stored copy of AWS's page shows the
/// data-transfer table; the request figure is from a restatement of it). The free tier is
/// not modelled.
const DEFAULT_PRICE_PER_10K: f64 = 0.01;
/// Not in aws-facts: AWS's CloudFront price page, data transfer out to the internet, first
/// 10 TB a month, United States, Mexico, Canada and Europe: $0.085 per GB.
const DEFAULT_PRICE_PER_GB: f64 = 0.085;

/// The facts give no figure: an edge answering from memory or local disk, a few ms.
fn default_hit_latency() -> Dist {
    Dist::Uniform {
        min: 0.001,
        max: 0.003,
    }
}

/// The facts give no figure: an edge to its regional cache over AWS's network, 5–20 ms.
fn default_tier_latency() -> Dist {
    Dist::Uniform {
        min: 0.005,
        max: 0.020,
    }
}

/// The facts give no figure: the last cache to the origin's Region, 10–40 ms one way.
fn default_origin_latency() -> Dist {
    Dist::Uniform {
        min: 0.010,
        max: 0.040,
    }
}

/// Reads and validates a `cloudfront` table; `None` when it has errors (reported on `ck`).
pub fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<CloudFrontConfig> {
    let at = table.span().start..table.span().start;
    let raw: RawCloudFront = ck.deserialize(table)?;
    let origin = ck.component(&raw.origin, "origin");
    let edges = parse_edges(&raw, ck);
    let regional = ck.int_or(
        &raw.regional_caches,
        "regional_caches",
        (0, MAX_EDGE_LOCATIONS),
        DEFAULT_REGIONAL_CACHES,
    );
    let ttls = parse_ttls(&raw, ck, at.clone());
    let max_age = ck.or(&raw.max_age, None, |ck, t| {
        ck.duration(t, "max_age").map(Some)
    });
    let by_op = parse_max_age_by_op(&raw, ck);
    let capacity = ck.int_or(
        &raw.capacity,
        "capacity",
        (1, MAX_CACHE_ENTRIES),
        DEFAULT_CAPACITY,
    );
    let hit_latency = ck.time_dist_or(&raw.hit_latency, "hit_latency", default_hit_latency());
    let tier_latency = ck.time_dist_or(&raw.tier_latency, "tier_latency", default_tier_latency());
    let origin_latency = ck.time_dist_or(
        &raw.origin_latency,
        "origin_latency",
        default_origin_latency(),
    );
    let connection_timeout = bounded_duration(
        ck,
        &raw.connection_timeout,
        "connection_timeout",
        DEFAULT_CONNECTION_TIMEOUT,
        MAX_CONNECTION_TIMEOUT,
    );
    let attempts = ck.int_or(&raw.connection_attempts, "connection_attempts", (1, 3), 3);
    let read_timeout = bounded_duration(
        ck,
        &raw.read_timeout,
        "read_timeout",
        DEFAULT_READ_TIMEOUT,
        MAX_READ_TIMEOUT,
    );
    let error_ttl = ck.duration_or(
        &raw.error_caching_min_ttl,
        "error_caching_min_ttl",
        DEFAULT_ERROR_CACHING_MIN_TTL,
    );
    let per_10k = ck.or(
        &raw.price_per_10k_requests,
        DEFAULT_PRICE_PER_10K,
        |ck, p| ck.non_negative(p, "price_per_10k_requests", "USD per 10,000 requests"),
    );
    let per_gb = ck.or(&raw.price_per_gb, DEFAULT_PRICE_PER_GB, |ck, p| {
        ck.non_negative(p, "price_per_gb", "USD per GB")
    });
    let cached = parse_cached(&raw.cached, ck);
    let (edges, regional, capacity) = (edges?, regional? as usize, capacity? as usize);
    if regional > edges.len() {
        let span = raw
            .regional_caches
            .as_ref()
            .map_or(at.clone(), |r| r.span());
        ck.error(
            span,
            format!(
                "`regional_caches` is {regional}, more than the {} edge location(s) in front of them; each regional cache serves at least one edge",
                edges.len()
            ),
        );
        return None;
    }
    let shield = raw.origin_shield.unwrap_or(false);
    let caches = edges.len() + regional + usize::from(shield);
    if (caches as i64).saturating_mul(capacity as i64) > MAX_CACHE_ENTRIES {
        let span = raw.capacity.as_ref().map_or(at, |c| c.span());
        ck.error(
            span,
            format!(
                "{caches} caches (edges, regional caches, Origin Shield) of {capacity} objects each could hold more than {MAX_CACHE_ENTRIES} objects between them, the most a distribution may hold; lower `capacity` to at most {}",
                MAX_CACHE_ENTRIES / caches as i64
            ),
        );
        return None;
    }
    let (min_ttl, default_ttl, max_ttl) = ttls?;
    let (cached, cached_proxies) = cached?;
    Some(CloudFrontConfig {
        edges,
        regional_caches: regional,
        origin_shield: shield,
        min_ttl,
        default_ttl,
        max_ttl,
        max_age: max_age?,
        max_age_by_op: by_op?,
        capacity,
        cached,
        cached_proxies,
        hit_latency: hit_latency?,
        tier_latency: tier_latency?,
        connection_timeout: connection_timeout?,
        connection_attempts: attempts? as u32,
        read_timeout: read_timeout?,
        // HTTPStatusCodes.html: when the origin answers 5xx for an object the edge still
        // holds, or does not answer, "CloudFront continues to serve cached content": no
        // setting asks for it.
        serve_stale: raw.serve_stale.unwrap_or(true),
        error_caching_min_ttl: error_ttl?,
        price_per_10k_requests: per_10k?,
        price_per_gb: per_gb?,
        calls: vec![CallSpec {
            to: origin?,
            op: OpChoice::Inherit,
            probability: 1.0,
            // The read timeout bounds each request once the connection is open.
            timeout: Some(read_timeout?),
            latency: Some(origin_latency?),
            // CloudFront is no SDK: one request per connection, its own attempts aside.
            retry: Some(RetrySpec::Policy(RetryPolicy::none())),
            asynchronous: None,
            position: None,
        }],
    })
}

/// An optional duration from 1 s to `max`, else `default` (aws-facts: §9 origin timeouts).
fn bounded_duration(
    ck: &mut Checker,
    value: &Option<Spanned<String>>,
    key: &str,
    default: SimTime,
    max: SimTime,
) -> Option<SimTime> {
    ck.or(value, default, |ck, v| {
        let t = ck.duration(v, key)?;
        if t < SimTime::from_secs(1) || t > max {
            ck.value_error(
                v.span(),
                format!("`{key}` must be from 1s to {max} (CloudFront's bounds), not {t}"),
            );
            return None;
        }
        Some(t)
    })
}

/// The operations a cache behavior caches, and those of them that are OPTIONS. Not in
/// aws-facts: CloudFront's API reference, CachedMethods
/// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachedMethods.html):
/// CloudFront caches responses to GET and HEAD, or to GET, HEAD and OPTIONS; no other method
/// (POST, PUT, PATCH, DELETE) is ever cached. By default the operations named as GETs and
/// HEADs are (`read`, `get`, `head`); a list names them all (`options` among them to cache
/// OPTIONS). A name that only a write would have is refused: CloudFront cannot cache it.
/// OPTIONS stays a proxy method when cached: "Proxy HTTP methods (PUT, POST, PATCH, OPTIONS,
/// and DELETE) go directly to the origin from the POPs and do not proxy through the regional
/// edge caches" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HowCloudFrontWorks.html#CloudFrontRegionaledgecaches).
/// What an operation in `cached` means, for the warning about a near name.
const CACHED: &str =
    "a distribution's `cached`, and it sends any other operation to its origin uncached";

fn parse_cached(
    list: &Option<Vec<Spanned<String>>>,
    ck: &mut Checker,
) -> Option<(Vec<u16>, Vec<u16>)> {
    const WRITES: [&str; 6] = ["write", "post", "put", "patch", "update", "delete"];
    let Some(list) = list else {
        let gets = ["read", "get", "head"]
            .iter()
            .map(|o| ck.op(o, CACHED))
            .collect();
        return Some((gets, Vec::new()));
    };
    let mut ok = true;
    let mut out = Vec::with_capacity(list.len());
    let mut proxies = Vec::new();
    for o in list {
        let name = o.get_ref();
        let lower = name.to_ascii_lowercase();
        if WRITES.contains(&lower.as_str()) {
            ck.error(
                o.span(),
                format!(
                    "CloudFront caches only GET, HEAD and OPTIONS requests, never \"{name}\": leave it out of `cached` and it goes to the origin"
                ),
            );
            ok = false;
        }
        let op = ck.op(name, CACHED);
        if lower == "options" {
            proxies.push(op);
        }
        out.push(op);
    }
    ok.then_some((out, proxies))
}

/// `edges` (a count of equal edge locations) or `edge_locations` (named, weighted), not both.
fn parse_edges(raw: &RawCloudFront, ck: &mut Checker) -> Option<Vec<EdgeLocation>> {
    match (&raw.edges, &raw.edge_locations) {
        (Some(_), Some(list)) => {
            ck.error(
                list.span(),
                "give `edges` (a count of edge locations sharing viewers equally) or `edge_locations` (named, with weights), not both",
            );
            None
        }
        (Some(n), None) => {
            let n = ck.int_in(n, "edges", 1, MAX_EDGE_LOCATIONS)?;
            Some(
                (1..=n)
                    .map(|i| EdgeLocation {
                        name: format!("e{i}"),
                        share: 1.0 / n as f64,
                    })
                    .collect(),
            )
        }
        (None, Some(list)) => parse_weighted(list, ck),
        // A choice: one edge location unless told, every viewer near it.
        (None, None) => Some(vec![EdgeLocation {
            name: "e1".to_string(),
            share: 1.0,
        }]),
    }
}

fn parse_weighted(list: &Spanned<Vec<RawEdge>>, ck: &mut Checker) -> Option<Vec<EdgeLocation>> {
    let n = list.get_ref().len();
    if n == 0 || n as i64 > MAX_EDGE_LOCATIONS {
        ck.error(
            list.span(),
            format!(
                "`edge_locations` must list from 1 to {MAX_EDGE_LOCATIONS} edge locations, not {n}"
            ),
        );
        return None;
    }
    let mut ok = true;
    let mut edges = Vec::with_capacity(n);
    for (i, e) in list.get_ref().iter().enumerate() {
        let name = e.name.get_ref();
        let well_formed = !name.is_empty()
            && name.len() <= crate::limits::MAX_NAME_LEN
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            ck.error(
                e.name.span(),
                format!(
                    "an edge location's `name` is 1 to {} letters, digits, '-' or '_', not \"{}\"",
                    crate::limits::MAX_NAME_LEN,
                    crate::text::printable(name)
                ),
            );
            ok = false;
        } else if list.get_ref()[..i].iter().any(|o| o.name.get_ref() == name) {
            ck.error(
                e.name.span(),
                format!("edge location \"{name}\" is listed twice"),
            );
            ok = false;
        }
        let w = ck.positive_up_to(
            &e.weight,
            "weight",
            "a relative share of viewers",
            MAX_MIX_WEIGHT,
            "weights are relative",
        );
        ok &= w.is_some();
        edges.push(EdgeLocation {
            name: name.clone(),
            share: w.unwrap_or(0.0),
        });
    }
    if !ok {
        return None;
    }
    let total: f64 = edges.iter().map(|e| e.share).sum();
    for e in &mut edges {
        e.share /= total;
    }
    Some(edges)
}

/// MinTTL ≤ DefaultTTL ≤ MaxTTL, as a cache policy requires (aws-facts: §9 TTLs).
fn parse_ttls(
    raw: &RawCloudFront,
    ck: &mut Checker,
    at: Range<usize>,
) -> Option<(SimTime, SimTime, SimTime)> {
    let min = ck.duration_or(&raw.min_ttl, "min_ttl", DEFAULT_MIN_TTL);
    let default = ck.duration_or(&raw.default_ttl, "default_ttl", DEFAULT_DEFAULT_TTL);
    let max = ck.duration_or(&raw.max_ttl, "max_ttl", DEFAULT_MAX_TTL);
    let (min, default, max) = (min?, default?, max?);
    let span = |s: &Option<Spanned<String>>| s.as_ref().map(|s| s.span());
    if !(min <= default && default <= max) {
        let where_ = span(&raw.min_ttl)
            .filter(|_| min > default)
            .or(span(&raw.default_ttl))
            .or(span(&raw.max_ttl))
            .or(span(&raw.min_ttl))
            .unwrap_or(at);
        ck.error(
            where_,
            format!(
                "the TTLs must keep min_ttl ≤ default_ttl ≤ max_ttl, as a cache policy does; here min_ttl {min}, default_ttl {default}, max_ttl {max}"
            ),
        );
        return None;
    }
    Some((min, default, max))
}

fn parse_max_age_by_op(raw: &RawCloudFront, ck: &mut Checker) -> Option<Vec<(u16, SimTime)>> {
    let Some(list) = &raw.max_age_by_op else {
        return Some(Vec::new());
    };
    let mut out = Vec::with_capacity(list.len());
    let mut ok = true;
    for m in list {
        let op = ck.op(
            m.op.get_ref(),
            "a distribution's `max_age_by_op`, and it gives any other operation `max_age` (or, without one, the default TTL)",
        );
        if out.iter().any(|(o, _)| *o == op) {
            ck.error(
                m.op.span(),
                format!(
                    "operation \"{}\" is given a max-age twice",
                    crate::text::printable(m.op.get_ref())
                ),
            );
            ok = false;
            continue;
        }
        match ck.duration(&m.max_age, "max_age") {
            Some(t) => out.push((op, t)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

impl CloudFrontConfig {
    /// How long a cache keeps an object of operation `op`: the origin's max-age held within
    /// [MinTTL, MaxTTL], or DefaultTTL when the origin sends none (aws-facts: §9 TTLs).
    pub fn ttl(&self, op: u16) -> SimTime {
        let sent = self
            .max_age_by_op
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, t)| *t)
            .or(self.max_age);
        match sent {
            Some(age) => age.clamp(self.min_ttl, self.max_ttl),
            None => self.default_ttl,
        }
    }

    /// How long a cache keeps an error response with `status` answered at `now`, or `None`
    /// when CloudFront does not cache that status (or error caching is off).
    pub fn error_expiry(&self, status: u16, now: SimTime) -> Option<SimTime> {
        let cached =
            ALWAYS_CACHED_ERRORS.contains(&status) && self.error_caching_min_ttl > SimTime::ZERO;
        cached.then(|| now + self.error_caching_min_ttl)
    }

    /// Its key settings in a few words, for diagrams.
    pub fn lines(&self) -> Vec<String> {
        let mut tiers = format!("{} edge location(s)", self.edges.len());
        if self.regional_caches > 0 {
            tiers += &format!(", {} regional", self.regional_caches);
        }
        if self.origin_shield {
            tiers += ", Origin Shield";
        }
        let ttl = match self.max_age {
            Some(a) => format!("max-age {a} → TTL {}", a.clamp(self.min_ttl, self.max_ttl)),
            None => format!("default TTL {}", self.default_ttl),
        };
        vec![tiers, ttl]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(min: u64, default: u64, max: u64, age: Option<u64>) -> CloudFrontConfig {
        CloudFrontConfig {
            edges: Vec::new(),
            regional_caches: 0,
            origin_shield: false,
            min_ttl: SimTime::from_secs(min),
            default_ttl: SimTime::from_secs(default),
            max_ttl: SimTime::from_secs(max),
            max_age: age.map(SimTime::from_secs),
            max_age_by_op: vec![(3, SimTime::from_secs(5))],
            capacity: 1,
            cached: Vec::new(),
            cached_proxies: Vec::new(),
            hit_latency: Dist::Constant(0.0),
            tier_latency: Dist::Constant(0.0),
            connection_timeout: SimTime::from_secs(10),
            connection_attempts: 3,
            read_timeout: SimTime::from_secs(30),
            serve_stale: false,
            error_caching_min_ttl: SimTime::from_secs(10),
            price_per_10k_requests: 0.0,
            price_per_gb: 0.0,
            calls: Vec::new(),
        }
    }

    #[test]
    fn the_origins_max_age_is_held_within_min_and_max_ttl() {
        let s = SimTime::from_secs;
        // aws-facts: §9 TTLs: honoured within [Min, Max]; DefaultTTL when none is sent.
        assert_eq!(config(60, 100, 600, Some(10)).ttl(0), s(60));
        assert_eq!(config(60, 100, 600, Some(300)).ttl(0), s(300));
        assert_eq!(config(60, 100, 600, Some(3_600)).ttl(0), s(600));
        assert_eq!(config(60, 100, 600, None).ttl(0), s(100));
        // An operation's own max-age overrides the origin's general one, clamped alike.
        assert_eq!(config(0, 100, 600, Some(300)).ttl(3), s(5));
        assert_eq!(config(60, 100, 600, None).ttl(3), s(60));
    }

    #[test]
    fn only_the_errors_cloudfront_always_caches_are_kept_for_the_error_ttl() {
        let c = config(0, 100, 600, None);
        let now = SimTime::from_secs(5);
        for status in [404, 405, 414, 500, 501, 502, 503, 504] {
            assert_eq!(c.error_expiry(status, now), Some(SimTime::from_secs(15)));
        }
        for status in [400, 403, 412, 415, 416, 429] {
            assert_eq!(c.error_expiry(status, now), None, "{status}");
        }
        let off = CloudFrontConfig {
            error_caching_min_ttl: SimTime::ZERO,
            ..c
        };
        assert_eq!(off.error_expiry(503, now), None);
    }
}
