//! The keys of a scenario's tables as declarations: name, type, whether required, and what
//! each sets. Every kind declares its own (`KindInfo::keys`), the scenario its tables'; the
//! JSON Schema that editors read is generated from them, and a test holds each declaration
//! to what its parser accepts.

/// The type of a key of a table, for the JSON Schema and editors.
#[derive(Debug)]
pub enum KeyType {
    /// A whole number in a range.
    Integer {
        min: i64,
        max: i64,
    },
    /// A number in a range.
    Number {
        min: f64,
        max: f64,
    },
    /// A number above `above` (excluded), at most `max`: a rate, a weight.
    NumberAbove {
        above: f64,
        max: f64,
    },
    /// A duration with its unit ("250ms").
    Duration,
    /// A distribution of durations: a duration, or `{ dist = …, … }`.
    TimeDist,
    /// A distribution of plain numbers.
    NumberDist,
    /// One of these words.
    Word(&'static [&'static str]),
    /// Any string.
    Text,
    /// Plain text of at most this many characters: no control character but line breaks and
    /// tabs, no bidirectional override (`text::printable` leaves it as it is).
    Prose {
        max_chars: usize,
    },
    /// A name that becomes part of a file name: letters, digits, `-` and `_`.
    Name,
    /// One of the words a function lists (instance types, a catalogue too long to write out).
    Choice(fn() -> Vec<String>),
    Bool,
    /// A list of downstream calls.
    Calls,
    /// A retry policy.
    Retry,
    /// One component id or a list of them.
    Ids,
    /// A list of words.
    Words,
    /// A table with these keys.
    Table(&'static [Key]),
    /// A list of tables with these keys.
    Tables(&'static [Key]),
    /// A table with these keys, or `false` for none of what it sets (`true`: its defaults).
    TableOrBool(&'static [Key]),
    /// A list of `["time", number]` pairs (a step profile: from each time on, a rate).
    Steps,
    /// A list of outcomes: status codes and the word "timeout".
    Outcomes,
    /// Overrides: `"path" = value`, any value a key may take.
    Overrides,
    /// A list of paths (`["db.multi_az"]`), each a component id, a workload name or
    /// scenario/account/network, then the keys inside.
    Paths,
}

/// A key of a table.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub ty: KeyType,
    pub required: bool,
    /// What it sets, with its unit and default: shown by editors on hover.
    pub about: &'static str,
}

/// The keys of a retry policy (`retry = { … }`).
pub const RETRY: &[Key] = &[
    Key {
        name: "sdk",
        ty: KeyType::Word(crate::retry::SDK_WORDS),
        required: false,
        about: "retry as this AWS SDK does by default, with its client-side retry quota: standard (every SDK but Java 2.x since 2026-11-10, and the default for calls to AWS APIs), java-v2 (legacy mode), or an SDK's defaults before 2026-11-10; only `attempts` may be set beside it",
    },
    Key {
        name: "attempts",
        ty: KeyType::Integer { min: 1, max: 100 },
        required: false,
        about: "attempts in all, the first included (1: no retries); required unless `sdk` is given, which it then overrides",
    },
    Key {
        name: "backoff",
        ty: KeyType::Word(&["exponential", "constant"]),
        required: false,
        about: "how the wait grows from one retry to the next (default exponential: doubled each time)",
    },
    Key {
        name: "base",
        ty: KeyType::Duration,
        required: false,
        about: "the wait before the first retry (default 100ms)",
    },
    Key {
        name: "cap",
        ty: KeyType::Duration,
        required: false,
        about: "the longest wait (default 20s)",
    },
    Key {
        name: "jitter",
        ty: KeyType::Word(&["none", "full", "equal"]),
        required: false,
        about: "randomness in the wait: full draws it from [0, backoff], equal from [backoff/2, backoff] (default full)",
    },
    Key {
        name: "on",
        ty: KeyType::Outcomes,
        required: false,
        about: "the outcomes retried: status codes (4xx, 5xx), \"throttle\" (the callee's throttling errors whatever their status, as an SDK tells them by their code: 429, DynamoDB's, SQS's, SNS's, KMS's and Step Functions' 400, S3's 503) and \"timeout\" (default: \"throttle\", 429, 500, 502, 503, 504, 599 (a reset connection) and timeouts)",
    },
];

/// The keys of a downstream call (`calls = [ { … } ]`).
pub const CALL: &[Key] = &[
    Key {
        name: "to",
        ty: KeyType::Text,
        required: true,
        about: "the id of the component called",
    },
    Key {
        name: "op",
        ty: KeyType::Text,
        required: false,
        about: "the operation the call carries: \"inherit\" (the request's own, the default) or a name such as \"read\"",
    },
    Key {
        name: "probability",
        ty: KeyType::Number { min: 0.0, max: 1.0 },
        required: false,
        about: "the share of requests that make this call (default 1)",
    },
    Key {
        name: "timeout",
        ty: KeyType::Duration,
        required: false,
        about: "how long the caller waits for the answer; a timeout passes up as 504 (default: as long as it takes)",
    },
    Key {
        name: "latency",
        ty: KeyType::TimeDist,
        required: false,
        about: "one-way network latency of this hop, overriding the zone-based default",
    },
    Key {
        name: "retry",
        ty: KeyType::Retry,
        required: false,
        about: "the caller's SDK retries for this call (default: the called kind's SDK default, or none)",
    },
    Key {
        name: "mode",
        ty: KeyType::Word(&["sync", "async"]),
        required: false,
        about: "\"sync\" (the default): the caller waits for the work; \"async\": only for its acceptance (Lambda's Event invocation answers 202 and queues the event; a queue or topic answers once it stores the message), and the work goes on on its own",
    },
];
