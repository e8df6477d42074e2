//! The keys of the scenario's own tables (`[scenario]`, `[account]`, `[network]`,
//! `[[workload]]`, `[[fault]]`, `[[expect]]`), declared for the JSON Schema; a test holds
//! them to what the parser accepts.

use crate::config::keys::{Key, KeyType};
use crate::limits;

pub const SCENARIO: &[Key] = &[
    Key {
        name: "name",
        ty: KeyType::Text,
        required: false,
        about: "names the results folder: letters, digits, '-', '_' and '.' (default: the file's name)",
    },
    Key {
        name: "description",
        ty: KeyType::Text,
        required: false,
        about: "what the scenario shows, in a sentence or two; printed and put at the top of its report",
    },
    Key {
        name: "question",
        ty: KeyType::Prose {
            max_chars: limits::MAX_SLIDE_TEXT_LEN,
        },
        required: false,
        about: "the question the scenario asks, in a sentence: the first of its slides (`run --slides`); plain text of at most 500 characters (default: the description)",
    },
    Key {
        name: "lesson",
        ty: KeyType::Prose {
            max_chars: limits::MAX_SLIDE_TEXT_LEN,
        },
        required: false,
        about: "what the scenario teaches, in a sentence or two: the last of its slides (`run --slides`); plain text of at most 500 characters (default: the description)",
    },
    Key {
        name: "compare",
        ty: KeyType::Text,
        required: false,
        about: "a comparison group: scenarios run together with the same group are overlaid in index.html",
    },
    Key {
        name: "compare_metrics",
        ty: KeyType::Words,
        required: false,
        about: "numbers of summary.json the variants are also compared on, beside latency, errors, throughput and cost: dotted paths as an `[[expect]]`'s `metric` (\"components.orders-dlq.received_by_redrive\"), at most 6, each a number every seed has; in sweep.csv, sweep.json, the comparison page, the terminal, the sweep's charts and `archsim diff`",
    },
    Key {
        name: "latency",
        ty: KeyType::Text,
        required: false,
        about: "the latency the scenario's users wait for, which its variants are compared and charted by, the frontier judges and `archsim diff` compares runs by: a latency of summary.json, `components.<id>.<name>` (such as \"components.orders-queue.lag_ms\") or `workloads.<name>.latency_ms` (default: the clients' latency of successes, `latency_ms`), for a design whose clients are answered before the work is done (a queue, a stream, an asynchronous invoke); a [[variant]]'s own `latency` overrides it",
    },
    Key {
        name: "duration",
        ty: KeyType::Duration,
        required: true,
        about: "simulated time during which requests arrive (work in flight then drains)",
    },
    Key {
        name: "warmup",
        ty: KeyType::Duration,
        required: false,
        about: "left out of the statistics, from the start (default 0s)",
    },
    Key {
        name: "seed",
        ty: KeyType::Integer {
            min: 0,
            max: i64::MAX,
        },
        required: false,
        about: "the first seed (default 1): a run is reproducible from its scenario and seed",
    },
    Key {
        name: "seeds",
        ty: KeyType::Integer {
            min: 1,
            max: limits::MAX_SEEDS as i64,
        },
        required: false,
        about: "replications: seeds seed, seed + 1, … (default 1)",
    },
    Key {
        name: "window",
        ty: KeyType::Duration,
        required: false,
        about: "width of the time-series windows, at most `duration` (default 1s)",
    },
    Key {
        name: "max_in_flight",
        ty: KeyType::Integer {
            min: 1,
            max: limits::MAX_IN_FLIGHT,
        },
        required: false,
        about: "the most calls open at once before the run stops as overloaded (default 2,000,000)",
    },
];

pub const ACCOUNT: &[Key] = &[
    Key {
        name: "api_gateway_rate",
        ty: KeyType::Number {
            min: 0.0,
            max: f64::MAX,
        },
        required: false,
        about: "API Gateway's account throttle in each Region, shared by every API there [requests/s] (default 10,000; 2,500 in the newer Regions: af-south-1, eu-south-1, ap-southeast-3, me-central-1, ap-south-2, ap-southeast-4, eu-south-2, eu-central-2, il-central-1, ca-west-1, ap-southeast-5, ap-southeast-7, mx-central-1)",
    },
    Key {
        name: "api_gateway_burst",
        ty: KeyType::Integer {
            min: 1,
            max: 1_000_000_000,
        },
        required: false,
        about: "the account throttle's burst in each Region [requests] (default 5,000; 1,250 in the newer Regions)",
    },
    Key {
        name: "lambda_concurrency",
        ty: KeyType::Integer {
            min: 100,
            max: 10_000_000,
        },
        required: false,
        about: "Lambda's concurrency for the account in each Region, shared by every function there (default 1,000)",
    },
    Key {
        name: "lambda_rate_burst",
        ty: KeyType::Duration,
        required: false,
        about: "how much of Lambda's request-rate quota (10 invocations per second per unit of account concurrency, every function's) may be taken at once, as a time at that rate, above zero; AWS documents no burst, so this is a choice (default 1s)",
    },
];

pub const NETWORK: &[Key] = &[
    Key {
        name: "same_az",
        ty: KeyType::TimeDist,
        required: false,
        about: "one-way latency of a hop within a zone (default uniform 0.1–0.25 ms)",
    },
    Key {
        name: "cross_az",
        ty: KeyType::TimeDist,
        required: false,
        about: "one-way latency of a hop between zones (default uniform 0.5–1 ms)",
    },
    Key {
        name: "cross_region",
        ty: KeyType::TimeDist,
        required: false,
        about: "one-way latency of a hop between components in different regions, whatever their zones (default uniform 30–40 ms: tens of ms, regions of one continent)",
    },
    Key {
        name: "region",
        ty: KeyType::Text,
        required: false,
        about: "the region of the components that name none (default \"home\")",
    },
    Key {
        name: "ephemeral_ports",
        ty: KeyType::Text,
        required: false,
        about: "the ports callers take replies on, which a network ACL on the reply's way must allow: a range within 1024-65535 (\"32768-61000\" for Linux, \"49152-65535\" for Windows); an allow rule lets replies through when it covers the whole range, a deny rule stops them when it touches any of it, a choice (default \"1024-65535\", the range AWS recommends allowing, which load balancers, NAT gateways and Lambda use)",
    },
];

const ARRIVAL: &[Key] = &[
    Key {
        name: "process",
        ty: KeyType::Word(&[
            "constant", "poisson", "step", "ramp", "spike", "diurnal", "trace",
        ]),
        required: true,
        about: "how arrivals are spread over time; each process takes its own keys below",
    },
    Key {
        name: "rate",
        ty: KeyType::NumberAbove {
            above: 0.0,
            max: limits::MAX_RATE,
        },
        required: false,
        about: "constant, poisson: arrivals per second",
    },
    Key {
        name: "steps",
        ty: KeyType::Steps,
        required: false,
        about: "step: [[\"0s\", 200], [\"10m\", 1200]], from each time on, that rate [requests/s]",
    },
    Key {
        name: "from",
        ty: KeyType::Number {
            min: 0.0,
            max: limits::MAX_RATE,
        },
        required: false,
        about: "ramp: the rate at the start [requests/s]",
    },
    Key {
        name: "to",
        ty: KeyType::Number {
            min: 0.0,
            max: limits::MAX_RATE,
        },
        required: false,
        about: "ramp: the rate at the end of the ramp, kept after it [requests/s]",
    },
    Key {
        name: "over",
        ty: KeyType::Duration,
        required: false,
        about: "ramp: how long the ramp takes",
    },
    Key {
        name: "base",
        ty: KeyType::Number {
            min: 0.0,
            max: limits::MAX_RATE,
        },
        required: false,
        about: "spike: the rate before and after the spike [requests/s]",
    },
    Key {
        name: "peak",
        ty: KeyType::NumberAbove {
            above: 0.0,
            max: limits::MAX_RATE,
        },
        required: false,
        about: "spike: the rate during the spike [requests/s]",
    },
    Key {
        name: "at",
        ty: KeyType::Duration,
        required: false,
        about: "spike: when the spike starts",
    },
    Key {
        name: "for",
        ty: KeyType::Duration,
        required: false,
        about: "spike: how long the spike lasts",
    },
    Key {
        name: "mean",
        ty: KeyType::NumberAbove {
            above: 0.0,
            max: limits::MAX_RATE,
        },
        required: false,
        about: "diurnal: the mean rate [requests/s]",
    },
    Key {
        name: "amplitude",
        ty: KeyType::Number {
            min: 0.0,
            max: limits::MAX_RATE,
        },
        required: false,
        about: "diurnal: how far the rate swings above and below the mean [requests/s]",
    },
    Key {
        name: "period",
        ty: KeyType::Duration,
        required: false,
        about: "diurnal: the length of one cycle",
    },
    Key {
        name: "file",
        ty: KeyType::Text,
        required: false,
        about: "trace: a CSV file under the scenario's folder, `time_s` (arrival instants) or `time_s,rate` (a rate profile)",
    },
];

const MIX: &[Key] = &[
    Key {
        name: "op",
        ty: KeyType::Text,
        required: true,
        about: "an operation's name, such as \"read\" or \"write\"",
    },
    Key {
        name: "weight",
        ty: KeyType::NumberAbove {
            above: 0.0,
            max: limits::MAX_MIX_WEIGHT,
        },
        required: true,
        about: "its relative weight among the operations",
    },
    Key {
        name: "method",
        ty: KeyType::Word(crate::components::cors::METHODS),
        required: false,
        about: "browser workloads: its HTTP method, which decides with `content_type` and the workload's `headers` whether it is preflighted (default GET for \"read\", POST otherwise)",
    },
    Key {
        name: "content_type",
        ty: KeyType::Text,
        required: false,
        about: "browser workloads: the Content-Type of its body (default \"application/json\" for POST, PUT and PATCH; none for GET, HEAD and DELETE); only text/plain, multipart/form-data and application/x-www-form-urlencoded keep a request simple",
    },
    Key {
        name: "preflight",
        ty: KeyType::Bool,
        required: false,
        about: "browser workloads: whether the browser sends a CORS preflight (OPTIONS) before it, overriding what its method, content type and headers say",
    },
];

const KEYS: &[Key] = &[
    Key {
        name: "dist",
        ty: KeyType::Word(&["uniform", "zipf"]),
        required: true,
        about: "how popular keys are: uniform, or zipf (key k has weight 1/k^exponent)",
    },
    Key {
        name: "count",
        ty: KeyType::Integer {
            min: 1,
            max: 1 << 53,
        },
        required: true,
        about: "how many keys there are",
    },
    Key {
        name: "exponent",
        ty: KeyType::Number {
            min: 0.0,
            max: f64::MAX,
        },
        required: false,
        about: "zipf: the skew (0 is uniform, 1 classic Zipf)",
    },
];

pub const WORKLOAD: &[Key] = &[
    Key {
        name: "name",
        ty: KeyType::Name,
        required: true,
        about: "the workload's name: letters, digits, '-' and '_'",
    },
    Key {
        name: "target",
        ty: KeyType::Text,
        required: true,
        about: "the id of the component its requests enter",
    },
    Key {
        name: "arrival",
        ty: KeyType::Table(ARRIVAL),
        required: true,
        about: "the arrival process",
    },
    Key {
        name: "mix",
        ty: KeyType::Tables(MIX),
        required: false,
        about: "the operations requests carry, by weight (default: all \"read\")",
    },
    Key {
        name: "keys",
        ty: KeyType::Table(KEYS),
        required: false,
        about: "which item keys requests touch (default: uniform over 1,000,000)",
    },
    Key {
        name: "size",
        ty: KeyType::NumberDist,
        required: false,
        about: "request size [bytes], a number or a distribution (default 1024)",
    },
    Key {
        name: "timeout",
        ty: KeyType::Duration,
        required: false,
        about: "the client's timeout per attempt (default: none)",
    },
    Key {
        name: "retry",
        ty: KeyType::Retry,
        required: false,
        about: "the client's retries (default: none)",
    },
    Key {
        name: "latency",
        ty: KeyType::TimeDist,
        required: false,
        about: "one-way latency between the clients and the entry component (default 0)",
    },
    Key {
        name: "api_keys",
        ty: KeyType::Integer {
            min: 0,
            max: 1_000_000,
        },
        required: false,
        about: "how many API keys its clients use, for API Gateway usage plans (default 0: none)",
    },
    Key {
        name: "browser",
        ty: KeyType::Bool,
        required: false,
        about: "whether its clients are browsers calling across origins: they send CORS preflights and cannot read answers the target's CORS configuration does not allow (default false)",
    },
    Key {
        name: "origin",
        ty: KeyType::Text,
        required: false,
        about: "browser workloads: the page's origin, scheme://host[:port] (required with browser = true)",
    },
    Key {
        name: "browsers",
        ty: KeyType::Integer {
            min: 1,
            max: limits::MAX_BROWSERS,
        },
        required: false,
        about: "browser workloads: how many browser sessions its requests are spread over, each with its own preflight cache (default 1)",
    },
    Key {
        name: "browser_engine",
        ty: KeyType::Word(crate::components::cors::ENGINES),
        required: false,
        about: "browser workloads: whose cap on Access-Control-Max-Age applies: chrome (2 h) or firefox (24 h) (default chrome)",
    },
    Key {
        name: "headers",
        ty: KeyType::Words,
        required: false,
        about: "browser workloads: the request headers its script sets on every request, such as [\"Authorization\"]; any but Accept, Accept-Language, Content-Language and Content-Type makes requests preflighted (default none)",
    },
    Key {
        name: "trace",
        ty: KeyType::TableOrBool(TRACE),
        required: false,
        about: "which requests are traced and how many traces are kept (traces.json, the waterfall); false: none (default: X-Ray's default rule, 1 a second and 5 % of the rest)",
    },
];

/// A workload's sampling rule (`trace = { … }`).
pub const TRACE: &[Key] = &[
    Key {
        name: "reservoir_per_second",
        ty: KeyType::Integer {
            min: 0,
            max: crate::limits::MAX_TRACE_RESERVOIR,
        },
        required: false,
        about: "requests traced first in each second [requests/s] (default 1, as X-Ray's default rule)",
    },
    Key {
        name: "rate",
        ty: KeyType::Number { min: 0.0, max: 1.0 },
        required: false,
        about: "share of the other requests traced [0–1] (default 0.05, as X-Ray's default rule)",
    },
    Key {
        name: "slowest",
        ty: KeyType::Integer {
            min: 0,
            max: crate::limits::MAX_TRACES_KEPT as i64,
        },
        required: false,
        about: "the slowest finished traces kept per seed [traces] (default 10)",
    },
    Key {
        name: "sample",
        ty: KeyType::Integer {
            min: 0,
            max: crate::limits::MAX_TRACES_KEPT as i64,
        },
        required: false,
        about: "a uniform sample of the finished traces kept beside them per seed [traces] (default 10)",
    },
];

pub const FAULT: &[Key] = &[
    Key {
        name: "at",
        ty: KeyType::Duration,
        required: true,
        about: "when it starts",
    },
    Key {
        name: "for",
        ty: KeyType::Duration,
        required: false,
        about: "how long it lasts (default: until the end; faults at an instant take none)",
    },
    Key {
        name: "kind",
        ty: KeyType::Text,
        required: true,
        about:
            "az_outage, component_down, error_injection, latency_injection, region_outage, or a kind's own fault",
    },
    Key {
        name: "az",
        ty: KeyType::Text,
        required: false,
        about: "az_outage: the zone that fails",
    },
    Key {
        name: "region",
        ty: KeyType::Text,
        required: false,
        about: "region_outage: the region that fails (every component in it unreachable)",
    },
    Key {
        name: "target",
        ty: KeyType::Text,
        required: false,
        about: "the id of the component it strikes",
    },
    Key {
        name: "from",
        ty: KeyType::Text,
        required: false,
        about: "with `to`: the call edge it strikes, from this component",
    },
    Key {
        name: "to",
        ty: KeyType::Text,
        required: false,
        about: "with `from`: the call edge it strikes, to this component",
    },
    Key {
        name: "rate",
        ty: KeyType::Number { min: 0.0, max: 1.0 },
        required: false,
        about: "error_injection: the share of calls that fail",
    },
    Key {
        name: "status",
        ty: KeyType::Integer { min: 400, max: 599 },
        required: false,
        about: "error_injection: the status they fail with (default 500)",
    },
    Key {
        name: "add",
        ty: KeyType::Duration,
        required: false,
        about: "latency_injection: the latency added",
    },
    Key {
        name: "count",
        ty: KeyType::Integer {
            min: 1,
            max: 10_000,
        },
        required: false,
        about: "instance_failure, spot_interruption: how many instances",
    },
    Key {
        name: "fraction",
        ty: KeyType::Number { min: 0.0, max: 1.0 },
        required: false,
        about: "spot_interruption: the share of the group's spot instances",
    },
];

pub const EXPECT: &[Key] = &[
    Key {
        name: "metric",
        ty: KeyType::Text,
        required: false,
        about: "a number of summary.json by its dotted path, such as \"latency_ms.p99\" or \"components.db.failover_downtime_s\" (this or `series`)",
    },
    Key {
        name: "series",
        ty: KeyType::Text,
        required: false,
        about: "a time series, `components.<id>.<series>` or `workloads.<name>.<series>` (the `component` and `series` columns of timeseries.csv) (such as \"components.q.backlog_visible\"), judged in every window of every seed from `from` until `until` (this or `metric`)",
    },
    Key {
        name: "from",
        ty: KeyType::Duration,
        required: false,
        about: "with `series`: the first window judged starts at or after this time from the start of the run (default: the warmup's end)",
    },
    Key {
        name: "until",
        ty: KeyType::Duration,
        required: false,
        about: "with `series`: windows judged start before this time (default: the end of the run)",
    },
    Key {
        name: "min",
        ty: KeyType::Number {
            min: f64::MIN,
            max: f64::MAX,
        },
        required: false,
        about: "the least it may be (inclusive)",
    },
    Key {
        name: "max",
        ty: KeyType::Number {
            min: f64::MIN,
            max: f64::MAX,
        },
        required: false,
        about: "the most it may be (inclusive)",
    },
    Key {
        name: "each_seed",
        ty: KeyType::Bool,
        required: false,
        about: "true: every seed's own value must hold, not just the pooled one (default false); only numbers each seed has: under requests, latency_ms, latency_all_ms, throughput_rps, offered_rps, error_rate, retry_amplification, workloads, components, cost_usd",
    },
    Key {
        name: "variant",
        ty: KeyType::Text,
        required: false,
        about: "the only variant it is judged on (default: every variant, the baseline included)",
    },
    Key {
        name: "relative_to",
        ty: KeyType::Text,
        required: false,
        about: "a variant (or \"baseline\") whose figure the bounds multiply: `max = 0.5` is at most half of its figure, `max = 1` no worse than it; each seed against that variant's same seed with `each_seed` (common random numbers: the same traffic); not with `series`",
    },
];

pub const VARIANT: &[Key] = &[
    Key {
        name: "name",
        ty: KeyType::Text,
        required: true,
        about: "names the variant's results folder: letters, digits, '-', '_' and '.'",
    },
    Key {
        name: "description",
        ty: KeyType::Text,
        required: false,
        about: "the question the variant asks, in a sentence",
    },
    Key {
        name: "set",
        ty: KeyType::Overrides,
        required: false,
        about: "what it changes: \"path\" = value, the path a component id, a workload name, scenario/account/network or fault.N (the N-th [[fault]], from 0), then the keys inside (\"db.read_replicas\" = 4, \"fault.0.for\" = \"30m\"); a variant needs `set`, `unset` or both",
    },
    Key {
        name: "unset",
        ty: KeyType::Paths,
        required: false,
        about: "keys of the baseline the variant removes, as paths (\"table.rcu\"), before `set` applies: the key's default, or its absence, then holds; a path must name a key the baseline has, not one `set` also writes",
    },
    Key {
        name: "latency",
        ty: KeyType::Text,
        required: false,
        about: "the latency its users wait for, which the experiment's tables, charts and frontier show for it and `archsim diff` compares it by: a latency of summary.json, `components.<id>.<name>` (such as \"components.orders-queue.lag_ms\") or `workloads.<name>.latency_ms` (default: its clients' latency of successes, `latency_ms`), for a variant whose clients are answered before the work is done (a queue, an asynchronous invoke)",
    },
];

/// A statement of a `[[role]]`'s policy.
pub const STATEMENT: &[Key] = &[
    Key {
        name: "effect",
        ty: KeyType::Word(&["Allow", "Deny"]),
        required: true,
        about: "Allow or Deny, spelled as IAM spells it; an explicit Deny wins over any Allow",
    },
    Key {
        name: "actions",
        ty: KeyType::Words,
        required: true,
        about: "actions as IAM names them, `service:Action` (\"dynamodb:PutItem\", \"s3:Get*\", \"*\"), matched without regard to case; `*` any characters, `?` one",
    },
    Key {
        name: "resources",
        ty: KeyType::Words,
        required: true,
        about: "resources: ARNs (\"arn:aws:dynamodb:*:*:table/orders\"), matched with regard to case, `*` and `?` within an ARN's parts; a component id stands for each ARN the calls to it name (a bucket's id for \"arn:aws:s3:::<id>\" and \"arn:aws:s3:::<id>/*\"); \"*\" is every resource",
    },
];

/// A `[[role]]`: an IAM role and its identity policy, which components name (`role`).
pub const ROLE: &[Key] = &[
    Key {
        name: "id",
        ty: KeyType::Text,
        required: true,
        about: "the role's name, which a component's `role` names: letters, digits and + = , . @ - _",
    },
    Key {
        name: "statements",
        ty: KeyType::Tables(STATEMENT),
        required: true,
        about: "its policy's statements; a call is allowed when one allows it and none denies it (no match: the implicit deny; with none, `[]`, every call is denied so)",
    },
];

/// An inbound rule of a `[[security_group]]`.
pub const SG_RULE: &[Key] = &[Key {
    name: "from",
    ty: KeyType::Text,
    required: true,
    about: "who it lets in: a [[security_group]] id (that group's members), \"0.0.0.0/0\" (every caller) or \"clients\" (the workloads, from outside the VPC)",
}];

/// A `[[security_group]]`: a VPC security group, which components in a VPC name
/// (`security_groups`).
pub const SECURITY_GROUP: &[Key] = &[
    Key {
        name: "id",
        ty: KeyType::Text,
        required: true,
        about: "the group's name, which components' `security_groups` and rules' `from` name: letters, digits, '-', '_' and '.'",
    },
    Key {
        name: "inbound",
        ty: KeyType::Tables(SG_RULE),
        required: true,
        about: "its inbound rules (allow only, at most 60); a call to a member passes when a rule of one of its groups matches the caller, else it is dropped silently and the caller waits its timeout; outbound is allowed to all, and replies pass (stateful)",
    },
];

/// A rule of a `[[network_acl]]`, inbound or outbound.
pub const NACL_RULE: &[Key] = &[
    Key {
        name: "rule",
        ty: KeyType::Integer {
            min: 1,
            max: 32_766,
        },
        required: true,
        about: "its number, unique in its direction: rules are evaluated lowest first, and the first that matches decides",
    },
    Key {
        name: "action",
        ty: KeyType::Word(&["allow", "deny"]),
        required: true,
        about: "whether matching traffic passes (\"allow\") or is dropped (\"deny\")",
    },
    Key {
        name: "from",
        ty: KeyType::Text,
        required: false,
        about: "an inbound rule's source: \"0.0.0.0/0\" (everything), \"clients\" (the workloads) or a zone's name (its subnet)",
    },
    Key {
        name: "to",
        ty: KeyType::Text,
        required: false,
        about: "an outbound rule's destination: \"0.0.0.0/0\" (everything, AWS APIs' endpoints included), \"clients\" (the workloads) or a zone's name (its subnet)",
    },
    Key {
        name: "ports",
        ty: KeyType::Text,
        required: true,
        about: "the ports it matches: \"all\", one port (\"5432\") or a range (\"1024-65535\"); a request goes to its callee's port (443, an RDS engine's or a cache engine's), a reply to the callers' ephemeral ports (`[network] ephemeral_ports`, 1024-65535 by default)",
    },
];

/// A `[[network_acl]]`: a VPC network ACL guarding the subnets of the zones it lists.
pub const NETWORK_ACL: &[Key] = &[
    Key {
        name: "id",
        ty: KeyType::Text,
        required: true,
        about: "the network ACL's name: letters, digits, '-', '_' and '.'",
    },
    Key {
        name: "azs",
        ty: KeyType::Words,
        required: true,
        about: "the zones whose subnets it guards (zones of components in a VPC), each in one network ACL at most; a zone in none has the default network ACL, which allows everything",
    },
    Key {
        name: "inbound",
        ty: KeyType::Tables(NACL_RULE),
        required: true,
        about: "its inbound rules (at most 40), each with `from`; stateless: a call needs its request allowed in by the callee's subnet and its reply allowed in by the caller's, and what no rule allows is denied",
    },
    Key {
        name: "outbound",
        ty: KeyType::Tables(NACL_RULE),
        required: true,
        about: "its outbound rules (at most 40), each with `to`; a reply leaves for the callers' ephemeral ports (`[network] ephemeral_ports`, 1024-65535 by default), which a rule must allow in full",
    },
];
