//! Every limit archsim puts on what a scenario (or a results folder) can make it use: memory,
//! time, files read and written. Scenario files are untrusted; each limit here is what keeps
//! an accepted scenario from exhausting the machine, and the README's "Limits" section lists
//! them with these values and reasons (a test holds the two together).

/// The largest scenario file read [bytes]. The largest bundled scenario is under 5 kB; a
/// thousand components fit in a few hundred kB.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// The largest template or plan `archsim import` reads [bytes]. CloudFormation itself takes
/// templates of at most 1 MB (from S3); a Terraform plan in JSON repeats each resource in its
/// planned values, configuration and changes, so a large stack's plan runs to a few MB.
pub const MAX_TEMPLATE_BYTES: u64 = 16 << 20;

/// The most entries the `Fn::ForEach` loops of a template (AWS::LanguageExtensions) may make
/// when `archsim import` expands them: loops nest, so a small template could otherwise ask for
/// billions. CloudFormation takes at most 500 resources a template, each with a few looped
/// properties at most.
pub const MAX_LOOP_ENTRIES: usize = 10_000;

/// The most resources a template or plan may declare for `archsim import` (after its
/// `Fn::ForEach` loops): each is compared with the others where its mapping looks for what it
/// is tied to, so the work grows with their square. CloudFormation takes at most 500
/// resources a template; a large stack's Terraform plan has a few thousand.
pub const MAX_TEMPLATE_RESOURCES: usize = 10_000;

/// How deep a YAML template's flow collections (`[…]`, `{…}`) may nest. serde's readers
/// refuse any value nested deeper than 128 levels, but the YAML one only once its scanner has
/// read the whole text, in time that grows with the square of the flow nesting (200,000 `[`
/// take most of a minute): `archsim import` counts it first, in one pass.
pub const MAX_TEMPLATE_NESTING: usize = 128;

/// What the values `archsim import` puts in place of a template's references may add up to
/// (parameters' defaults and mappings' values for their `Ref`s and `Fn::FindInMap`s, SAM's
/// `Globals` in each resource, the copies `Fn::ForEach` makes), counted in bytes: each
/// string's and key's, and 32 for each value and key (about what one takes in memory). A
/// template names a value in a few bytes, so a 1 MB default named 20,000 times would ask for
/// 20 GB: the budget is this many times the template's size, at least
/// `MIN_RESOLVED_BYTES` and at most `MAX_RESOLVED_BYTES`.
pub const RESOLVED_PER_TEMPLATE_BYTE: usize = 32;

/// The least a template's resolved values are allowed [bytes] (see
/// `RESOLVED_PER_TEMPLATE_BYTE`): a small template may name a long default a few dozen times.
pub const MIN_RESOLVED_BYTES: usize = 16 << 20;

/// The most a template's resolved values may add up to [bytes] (see
/// `RESOLVED_PER_TEMPLATE_BYTE`), whatever its size.
pub const MAX_RESOLVED_BYTES: usize = 128 << 20;

/// The largest trace file read [bytes]: twenty million rows of a dozen characters.
pub const MAX_TRACE_BYTES: u64 = 256 << 20;

/// The most rows a trace may have (each is an arrival instant kept in memory, 8 bytes).
pub const MAX_TRACE_ROWS: usize = 20_000_000;

/// The longest duration anywhere in a scenario [s]: a year. Simulated time is a u64 of
/// nanoseconds (584 years), so sums of a few durations can never overflow.
pub const MAX_DURATION_S: u64 = 366 * 24 * 3600;

/// The most time-series windows a run may have (duration / window): a day at one second.
/// Each window holds a value per series of every component.
pub const MAX_WINDOWS: u64 = 100_000;

/// The most windows × actors (components and workloads) a scenario may have: the size of
/// one seed's time series, about 20 series per actor, 8 bytes each.
pub const MAX_ACTOR_WINDOWS: u64 = 1_000_000;

/// The most seeds whose time series and events are kept (`timeseries.csv`, `events.csv`,
/// plots); summaries pool every seed. Fewer when one seed's series are large: at most
/// `SERIES_BUDGET_ACTOR_WINDOWS` actor-windows are kept over the kept seeds.
pub const MAX_SERIES_SEEDS: usize = 10;

/// The actor-windows of series kept over all kept seeds of a scenario.
pub const SERIES_BUDGET_ACTOR_WINDOWS: u64 = 2_000_000;

/// The most `[[component]]`s, `[[workload]]`s, `[[fault]]`s and `[[expect]]`s in a scenario.
/// A component takes up to about 2 MB (its latency histograms, in the run and in the pooled
/// summary) and its own chart: 200 components run in about 400 MB and write about 90 MB.
pub const MAX_COMPONENTS: usize = 200;
pub const MAX_WORKLOADS: usize = 100;
pub const MAX_FAULTS: usize = 1_000;
pub const MAX_EXPECTATIONS: usize = 1_000;
/// Distinct operation names one scenario may use: a request carries its operation as a
/// 16-bit index, and components keep tables per operation; far past any API's operations.
pub const MAX_OPS: usize = 10_000;

/// The most seeds a scenario runs (`seeds`, `--seeds`).
pub const MAX_SEEDS: u32 = 10_000;

/// The highest arrival rate a workload may ask for [requests/s]: at about ten million events
/// a second, one simulated second would take seconds, and a rate so high that its gaps round
/// to zero nanoseconds would never let time advance.
pub const MAX_RATE: f64 = 10_000_000.0;

/// The largest weight of an operation in a workload's `mix`: weights are relative, and a
/// bound keeps their sum finite (two weights of 1e308 would add up to infinity).
pub const MAX_MIX_WEIGHT: f64 = 1e12;

/// The events a scenario may take over all its seeds unless `--max-events` says otherwise:
/// about three minutes of one core. The bundled scenarios take at most 0.3 billion.
pub const DEFAULT_MAX_EVENTS: u64 = 2_000_000_000;

/// The events all the scenarios of one command may take together, as a multiple of the
/// budget of one (`--max-events`): by default twenty billion, about half an hour of one core.
/// A folder of many files, or a sweep of many points, is bounded as a whole, not only each
/// of its scenarios.
pub const RUN_EVENTS_PER_SCENARIO_BUDGET: u64 = 10;

/// The most (scenario, variant, seed) runs one command may make: each run's results are kept
/// until its scenario's summary is written (about 65 kB each), so a sweep of many points
/// over many seeds is bounded as a whole.
pub const MAX_RUNS: usize = 20_000;

/// What every component holds whatever its configuration (its histograms, its series):
/// about 2 MB, the figure the `[[component]]` limit is reckoned with.
pub const COMPONENT_BYTES: u64 = 2 << 20;

/// The most memory one run's components may take before the first request (each its
/// `COMPONENT_BYTES` and what its configuration sets up: `Kind::upfront_bytes`); runs on
/// several cores each take theirs.
pub const MAX_RUN_BYTES: u64 = 1 << 30;

/// The most calls in flight at once a scenario may allow (`max_in_flight`); each holds about
/// a hundred bytes, so this bounds the backlog of an overloaded system to about a gigabyte.
pub const MAX_IN_FLIGHT: i64 = 10_000_000;

/// The most entries a cache (ElastiCache, DAX, API Gateway's cache) may hold. Caches grow
/// with the keys they see, up to their capacity; about 80 bytes an entry.
pub const MAX_CACHE_ENTRIES: i64 = 10_000_000;

/// The most edge locations (and regional edge caches) a CloudFront distribution may have:
/// each is a cache of its own, and the caches of one distribution hold at most
/// `MAX_CACHE_ENTRIES` objects between them.
pub const MAX_EDGE_LOCATIONS: i64 = 100;
/// The most messages a queue (SQS) may hold at once, visible and in flight: its backlog is
/// work in flight, about 120 bytes a message. Beyond it (or the queue's lower `max_messages`),
/// sends are refused with 503 and counted (`refused_full`), never dropped in silence.
pub const MAX_QUEUE_MESSAGES: i64 = 10_000_000;
/// Records a DynamoDB table's stream holds at once (`stream.max_records`): its backlog is work
/// in flight, about 48 bytes a record; records beyond are not kept, and are counted.
pub const MAX_STREAM_RECORDS: i64 = 10_000_000;

/// The most events a Lambda function's asynchronous queue, or deliveries an SNS topic, may
/// hold at once: the same bound as a queue's messages (`MAX_QUEUE_MESSAGES`), the same size
/// each. Beyond it an asynchronous invocation or a publish is refused with 503 and counted.
///
/// The most subscriptions an SNS topic may have: each is a call the topic makes for every
/// message (AWS allows 12,500,000).
pub const MAX_SUBSCRIPTIONS: usize = 100;

/// The most deduplication ids a FIFO SNS topic may remember at once: each message it
/// accepts is remembered for 5 minutes (aws-facts: §17), about 40 bytes, so a FIFO topic's
/// `publish_quota` is held to this over 300 s (33,333 a second).
pub const MAX_DEDUP_IDS: i64 = 10_000_000;

/// The most message groups a FIFO queue may have (`message_groups`): each holds its own
/// ordered list, about 80 bytes even when empty.
pub const MAX_MESSAGE_GROUPS: i64 = 1_000_000;

/// The most calls per second per action a high-throughput FIFO queue may be given
/// (`high_throughput_tps`): it holds a token bucket per 300 of them, two per partition.
pub const MAX_HIGH_THROUGHPUT_TPS: i64 = 300_000;

/// The most characters of a scenario, component, workload or comparison-group name (they
/// name folders and files).
pub const MAX_NAME_LEN: usize = 64;

/// The most characters of a scenario's `question` and `lesson`: each is a slide's text in
/// large type, a sentence or two.
pub const MAX_SLIDE_TEXT_LEN: usize = 500;

/// The most numbers `compare_metrics` may add to an experiment's comparison: each is a column
/// of its page's two tables and a chart of its sweep.
pub const MAX_COMPARE_METRICS: usize = 6;

/// The largest saved files `archsim plot` reads back from a results folder [bytes].
pub const MAX_SUMMARY_BYTES: u64 = 64 << 20;
pub const MAX_CSV_BYTES: u64 = 1 << 30;

/// The most capacity units a DynamoDB table may have per side (read, write): the model keeps
/// a partition per 3,000 RCU or 1,000 WCU.
pub const MAX_DYNAMODB_UNITS: f64 = 10_000_000.0;

/// The most I/Os one request may make on an EBS volume (`ios_per_read`, `ios_per_write`):
/// each is a step of a loop when the request reaches its volume.
pub const MAX_EBS_IOS_PER_REQUEST: i64 = 10_000;

/// The most event records one component or workload keeps per run; later ones are counted.
pub const MAX_EVENTS_PER_ACTOR: usize = 10_000;

/// The most variants a scenario may have, its sweep's points included: each runs every seed.
pub const MAX_VARIANTS: usize = 1_000;

/// The most prefixes an S3 bucket's keys may be spread over (`prefixes`, `partitions`): the
/// model keeps a partition per range of prefixes, up to one each, about 150 bytes apiece.
pub const MAX_S3_PREFIXES: i64 = 4_096;

/// The most restored archive objects an S3 bucket remembers (each about 40 bytes); past it,
/// the restore of the lowest key is forgotten, as AWS lets a restored copy expire.
pub const MAX_S3_RESTORES: usize = 1_000_000;
/// The most DNS clients a `route53` component may model (`clients`), and the most resolvers
/// (`resolvers`): each holds its cached answer (16 bytes), so memory grows with them, never
/// with the queries served.
pub const MAX_DNS_CLIENTS: i64 = 1_000_000;

/// The most records a `route53` component may route between: each has its share and its
/// health as series of their own, declared one by one.
pub const MAX_DNS_RECORDS: usize = 4;

/// The most health checkers a `route53` health check may use (`checkers`; AWS uses about 15).
pub const MAX_HEALTH_CHECKERS: i64 = 64;

/// The most executions a Step Functions state machine may hold open at once
/// (`max_open_executions`); AWS's own quota for Standard workflows (aws-facts: §18 Step
/// Functions: 1,000,000 open executions, ExecutionLimitExceeded beyond). Each holds about
/// 100 bytes and its branches' threads: work in flight.
pub const MAX_OPEN_EXECUTIONS: i64 = 1_000_000;

/// The most states a state machine may have: each has its own counters in the summary.
pub const MAX_STATES: usize = 500;

/// The most retriers a state may have: each execution counts each one's retries.
pub const MAX_RETRIERS: usize = 8;

/// The most items one run of a Map state may have (`items`, drawn values cut to it), and its
/// `max_concurrency`: each item in progress is a branch of its own, about 60 bytes; aws-facts:
/// §18 Map: a Distributed Map runs up to 10,000 child executions at once.
pub const MAX_MAP_ITEMS: i64 = 10_000;
/// The most `[[role]]`s in a scenario, statements in a role, and actions or resources in a
/// statement; the longest action or resource [characters] (AWS's longest ARN). Each call's
/// decision is taken once before the run, matching every pattern of its caller's role: at
/// most 100 × 100 patterns of 2,048 characters per edge and operation.
pub const MAX_ROLES: usize = 100;
pub const MAX_STATEMENTS: usize = 100;
pub const MAX_POLICY_ENTRIES: usize = 100;
pub const MAX_POLICY_ENTRY_LEN: usize = 2_048;

/// The most `[[security_group]]`s in a scenario, inbound rules in a group, and groups a
/// component may name: AWS's quotas (aws-facts: §20 VPC quotas: 2,500 groups per Region, 60
/// inbound rules per group, 5 groups per network interface, at most 16). Each edge's verdict
/// is taken once before the run: at most 16 × 60 rules per edge.
pub const MAX_SECURITY_GROUPS: usize = 2_500;
pub const MAX_SG_RULES: usize = 60;
pub const MAX_SGS_PER_COMPONENT: usize = 16;

/// The most browser sessions a browser workload may stand for (`browsers`), and the most
/// entries of its preflight caches (browsers × routes, a route per `mix` entry): each entry
/// is the time one browser's cached preflight for one route expires (8 bytes), so memory
/// grows with them, never with the requests served.
pub const MAX_BROWSERS: i64 = 1_000_000;
pub const MAX_PREFLIGHT_ENTRIES: u64 = 1_000_000;
/// The most traces a workload keeps of each sort (`trace.slowest`, `trace.sample`): each is
/// at most `MAX_SPANS_PER_TRACE` spans of about 100 bytes, held until the run ends and
/// written to `traces.json`.
pub const MAX_TRACES_KEPT: usize = 1_000;

/// The most spans one trace records; the calls past it are made, not traced, and counted
/// (`traces.spans_dropped` in `summary.json`, with the components' own spans, such as a
/// queue wait, past the limit). A sampled request in flight holds its spans until it ends.
pub const MAX_SPANS_PER_TRACE: usize = 1_000;

/// The most queued messages that hold their traces open at once (an SQS message, a Lambda
/// event, an SNS delivery, a stream record of a sampled request, each keeping its trace, at
/// most `MAX_SPANS_PER_TRACE` spans, until it leaves the queue); a traced message queued past
/// it is not traced further, and counted (`queued_untraced`).
pub const MAX_QUEUED_TRACES: u32 = 10_000;

/// The largest `trace.reservoir_per_second` [requests/s]: X-Ray's rule is a count a second;
/// a higher one traces everything anyway below the arrival-rate limit.
pub const MAX_TRACE_RESERVOIR: i64 = 1_000_000;
/// The most `[[network_acl]]`s in a scenario and rules per direction in one: AWS's quotas
/// (200 network ACLs per VPC; 20 rules per direction by default, raised to 40 at most).
/// Each edge's verdict is taken once before the run, over at most 4 × 40 rules per zone
/// pair.
pub const MAX_NETWORK_ACLS: usize = 200;
pub const MAX_NACL_RULES: usize = 40;
