//! Cross-origin resource sharing (aws-facts: §21 CORS), shared by the kinds that answer a
//! browser's preflight (an API Gateway API, an S3 bucket) and by the browser workloads that
//! send them: what a server allows (`CorsRules`), what a browser makes of it (`Engine`, its
//! cap on `Access-Control-Max-Age`), whether a request is "simple" (`is_simple`), and the
//! browsers' preflight caches (`PreflightCache`), bounded by browsers × routes.

use crate::components::kind::{Key, KeyType};
use crate::config::Checker;
use crate::kernel::SimTime;
use crate::limits::MAX_DURATION_S;
use toml::Spanned;

/// The key of the origins a server's CORS rules allow, in `cors = { … }` of every kind that
/// answers preflights (declared once here; a kind lists its own keys after these).
pub const ALLOW_ORIGINS: Key = Key {
    name: "allow_origins",
    ty: KeyType::Words,
    required: true,
    about: "origins whose pages may call it (scheme://host[:port]), or [\"*\"] for any (S3: its rules' AllowedOrigins)",
};

/// The key of how long browsers may keep a server's preflight answers, beside
/// `ALLOW_ORIGINS`.
pub const MAX_AGE: Key = Key {
    name: "max_age",
    ty: KeyType::Integer {
        min: 0,
        max: MAX_DURATION_S as i64,
    },
    required: false,
    about: "Access-Control-Max-Age of its preflight answers (S3: MaxAgeSeconds) [s]; browsers cap it (Chrome 7200, Firefox 86400) (default: no header, which browsers take as 5)",
};

/// A server's CORS configuration, as far as a browser can tell: the origins it allows and
/// the `Access-Control-Max-Age` its preflight answers carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsRules {
    /// Origins allowed (`scheme://host[:port]`), or `*` for any.
    pub allow_origins: Vec<String>,
    /// `Access-Control-Max-Age` [s]; `None`: the header is absent.
    pub max_age_s: Option<u64>,
}

impl CorsRules {
    /// Whether a page of `origin` may read the server's answers.
    pub fn allows(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|o| o == "*" || o == origin)
    }
}

/// What a browser meets at a component that can answer preflights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsServer {
    /// Its CORS configuration; `None`: it has none, so every cross-origin request fails in
    /// the browser (a preflight is refused, a simple request's answer is unreadable).
    pub rules: Option<CorsRules>,
    /// Whether its error answers (429, 5xx) carry the CORS headers; when they do not, the
    /// browser reports a CORS error and the script never sees the status (aws-facts: §21
    /// REST API [O]).
    pub errors_have_cors: bool,
}

/// A browser's engine, which caps how long it keeps a preflight's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Chrome (and the other Chromium browsers): caps the max-age at 2 h.
    Chrome,
    /// Firefox: caps it at 24 h.
    Firefox,
}

/// The words `browser_engine` takes.
pub const ENGINES: &[&str] = &["chrome", "firefox"];

/// aws-facts: §21 caching [O MDN]: without `Access-Control-Max-Age` a preflight is cached 5 s.
pub const DEFAULT_MAX_AGE_S: u64 = 5;

impl Engine {
    /// The engine `browser_engine` names (validated against `ENGINES`).
    pub fn from_name(name: &str) -> Engine {
        match name {
            "firefox" => Engine::Firefox,
            _ => Engine::Chrome,
        }
    }

    /// aws-facts: §21 caching [O MDN]: Chrome caps `Access-Control-Max-Age` at 7,200 s (2 h),
    /// Firefox at 86,400 s (24 h).
    pub fn cap_s(self) -> u64 {
        match self {
            Engine::Chrome => 7_200,
            Engine::Firefox => 86_400,
        }
    }

    /// How long this browser keeps a preflight answered with `max_age_s` (absent: 5 s).
    pub fn preflight_ttl(self, max_age_s: Option<u64>) -> SimTime {
        let s = max_age_s.unwrap_or(DEFAULT_MAX_AGE_S).min(self.cap_s());
        SimTime::from_secs(s)
    }
}

/// The methods a request may use (`mix.method`).
pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// aws-facts: §21 preflight: a request is "simple" (no preflight) when its method is GET, HEAD
/// or POST, it adds no custom header (such as `Authorization`, `x-api-key`), and a body's
/// Content-Type is text/plain, multipart/form-data or application/x-www-form-urlencoded.
/// `headers` are the request headers the page's script sets; the CORS-safelisted ones
/// (Accept, Accept-Language, Content-Language, and Content-Type, judged by its value) do not
/// count.
pub fn is_simple(method: &str, headers: &[String], content_type: Option<&str>) -> bool {
    const SAFELISTED: &[&str] = &[
        "accept",
        "accept-language",
        "content-language",
        "content-type",
    ];
    const SIMPLE_TYPES: &[&str] = &[
        "text/plain",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ];
    let method_ok = matches!(method, "GET" | "HEAD" | "POST");
    let headers_ok = headers
        .iter()
        .all(|h| SAFELISTED.contains(&h.to_ascii_lowercase().as_str()));
    let type_ok =
        content_type.is_none_or(|t| SIMPLE_TYPES.contains(&t.to_ascii_lowercase().as_str()));
    method_ok && headers_ok && type_ok
}

/// Each browser's preflight cache: for every (browser, route) the time its cached preflight
/// expires. Sized once (browsers × routes, both bounded when the scenario is read), so it
/// never grows with requests served.
#[derive(Clone, Debug)]
pub struct PreflightCache {
    routes: usize,
    until: Vec<SimTime>,
}

impl PreflightCache {
    /// Caches for `browsers` browsers of `routes` routes each, all empty.
    pub fn new(browsers: u32, routes: usize) -> PreflightCache {
        PreflightCache {
            routes,
            until: vec![SimTime::ZERO; browsers as usize * routes],
        }
    }

    /// Whether `browser` holds a preflight for `route` still fresh at `now`.
    pub fn fresh(&self, browser: u32, route: usize, now: SimTime) -> bool {
        self.until[browser as usize * self.routes + route] > now
    }

    /// Keeps a preflight answered at `now` for `ttl`.
    pub fn store(&mut self, browser: u32, route: usize, now: SimTime, ttl: SimTime) {
        self.until[browser as usize * self.routes + route] = now + ttl;
    }
}

/// An origin as a browser sends it: `scheme://host[:port]`, with no path; `*` (any origin)
/// only where `star` allows it (a server's rules, not a page).
pub fn origin(ck: &mut Checker, v: &Spanned<String>, key: &str, star: bool) -> Option<String> {
    let o = v.get_ref();
    if star && o == "*" {
        return Some(o.clone());
    }
    let host = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"));
    let ok = host.is_some_and(|h| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    });
    if !ok {
        let also = if star { ", or \"*\" for any" } else { "" };
        ck.error(
            v.span(),
            format!(
                "`{key}` \"{}\" is not an origin: write scheme://host[:port] with no path, such as \"https://app.example\"{also}",
                crate::text::printable(o)
            ),
        );
        return None;
    }
    Some(o.clone())
}

/// A server's `allow_origins` and `max_age` (whole seconds, 0 to a year; absent: no header).
pub fn rules(
    ck: &mut Checker,
    span: std::ops::Range<usize>,
    allow_origins: &Option<Vec<Spanned<String>>>,
    max_age: &Option<Spanned<i64>>,
) -> Option<CorsRules> {
    let origins = match allow_origins {
        None => {
            ck.error(
                span,
                "`cors` needs `allow_origins`: the origins whose pages may call it, such as [\"https://app.example\"] or [\"*\"]",
            );
            None
        }
        Some(list) if list.is_empty() => {
            ck.error(
                span,
                "`cors.allow_origins` must list at least one origin, or \"*\" for any",
            );
            None
        }
        Some(list) => {
            let parsed: Vec<Option<String>> = list
                .iter()
                .map(|o| origin(ck, o, "cors.allow_origins", true))
                .collect();
            parsed.into_iter().collect()
        }
    };
    let max_age = match max_age {
        None => Some(None),
        Some(m) => ck
            .int_in(m, "cors.max_age", 0, MAX_DURATION_S as i64)
            .map(|s| Some(s as u64)),
    };
    Some(CorsRules {
        allow_origins: origins?,
        max_age_s: max_age?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_requests_follow_the_fetch_rules() {
        let none: Vec<String> = Vec::new();
        let auth = vec!["Authorization".to_string()];
        assert!(is_simple("GET", &none, None));
        assert!(is_simple("POST", &none, Some("text/plain")));
        assert!(!is_simple("POST", &none, Some("application/json")));
        assert!(!is_simple("GET", &auth, None));
        assert!(!is_simple("PUT", &none, None));
        assert!(is_simple("GET", &["Accept".to_string()], None));
    }

    #[test]
    fn browsers_cap_the_max_age_and_default_to_five_seconds() {
        assert_eq!(
            Engine::Chrome.preflight_ttl(Some(86_400)),
            SimTime::from_secs(7_200)
        );
        assert_eq!(
            Engine::Firefox.preflight_ttl(Some(86_400)),
            SimTime::from_secs(86_400)
        );
        assert_eq!(
            Engine::Firefox.preflight_ttl(Some(100_000)),
            SimTime::from_secs(86_400)
        );
        assert_eq!(Engine::Chrome.preflight_ttl(None), SimTime::from_secs(5));
        assert_eq!(
            Engine::Chrome.preflight_ttl(Some(600)),
            SimTime::from_secs(600)
        );
    }

    #[test]
    fn the_cache_is_per_browser_and_route() {
        let mut c = PreflightCache::new(3, 2);
        let t = SimTime::from_secs(10);
        c.store(1, 1, t, SimTime::from_secs(5));
        assert!(c.fresh(1, 1, SimTime::from_secs(14)));
        assert!(!c.fresh(1, 1, SimTime::from_secs(15)));
        assert!(!c.fresh(1, 0, SimTime::from_secs(11)));
        assert!(!c.fresh(0, 1, SimTime::from_secs(11)));
        assert!(!c.fresh(2, 1, SimTime::from_secs(11)));
    }
}
