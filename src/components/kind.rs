//! What each kind of component declares about itself, in one place, for everything that is
//! not its behaviour: how the scenario reads it (name, keys, parser, faults), how it relates
//! to other components (calls, zones, account quotas, target groups), and how reports show
//! it (series, summary fields, table columns, plot panels, the words for its events).
//!
//! A kind is a config type implementing `Kind`; `registry::KINDS` lists every kind, one line
//! each. Scenario assembly, the reports and the JSON Schema read the declarations; none of
//! them spells a kind's name or its series' names.

pub use super::iac::Imports;
use super::kms::caller::{KmsLink, KmsUse};
use super::{BuildEnv, CallSpec, Component, Shared};
pub use crate::config::keys::{Key, KeyType};
use crate::config::raw::{RawComponentTable, RawFault};
use crate::config::Checker;
pub use crate::iam::IamAction;
use crate::kernel::SimTime;
pub use crate::metrics::{path_matches, Field, LatencySeries, Series, Unit};
use crate::retry::SdkService;
use std::any::Any;
use std::fmt::Debug;

/// The family a kind belongs to, for the mark diagrams draw on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// A generic queueing station.
    Generic,
    /// Compute: servers and functions (EC2 Auto Scaling, Lambda).
    Compute,
    /// Databases and caches (RDS, DynamoDB, ElastiCache).
    Database,
    /// Networking and content delivery (Elastic Load Balancing, API Gateway).
    Networking,
    /// Object and file storage (S3, EFS): a bucket.
    Storage,
    /// Block storage an instance attaches (EBS): the storage colour, a volume's mark.
    BlockStorage,
    /// Application integration: queues, topics and event buses (SQS, SNS, EventBridge).
    Integration,
}

/// The role of a line's colour; the report maps roles to its palette, so the same meaning has
/// the same colour on every chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// What is used or busy (utilisation, capacity consumed).
    Load,
    /// The limit beside what uses it (capacity provisioned): the load's hue, lighter. Only a
    /// limit: a chart leaves one far above the rest of its panel undrawn (`plots::off_scale`).
    Limit,
    /// What waits (queues, environments, lag).
    Queue,
    /// What is offered or received.
    Offered,
    /// What went well (hits, healthy targets, in service).
    Good,
    /// What went badly (throttles, rejections, stale reads).
    Bad,
    /// What costs time or money but is not a failure (misses, cold starts, booting).
    Warn,
    /// The limit beside a `Warn` line (only a limit, as `Limit`).
    WarnLimit,
    /// What went around a part that was down (requests past a lost cache node).
    Down,
}

/// One line of a plot panel: a series, its legend label, its colour role and a factor it is
/// shown at (100 for a share drawn in percent).
#[derive(Debug)]
pub struct PlotLine {
    /// The series drawn.
    pub series: &'static Series,
    /// Its name in the legend.
    pub label: &'static str,
    /// The role that picks its colour.
    pub tone: Tone,
    /// The factor its values are multiplied by before drawing (100 for a share in percent).
    pub scale: f64,
}

/// A panel of a component's chart, top to bottom in the order declared.
#[derive(Debug)]
pub struct PlotPanel {
    /// The y axis's description, with its unit: "utilisation [%]".
    pub axis: &'static str,
    /// The lines drawn on it, in legend order.
    pub lines: &'static [PlotLine],
    /// A fixed top for quantities with natural bounds (105 for a percentage).
    pub y_max: Option<f64>,
}

/// A summary field every kind that answers calls declares alike: answers its caller no
/// longer waited for.
pub const LATE_REPLIES: Field = Field {
    path: "late_replies",
    unit: Unit::Count,
    about: "answers that came after their caller had timed out, to calls sent after the warmup",
};

/// The summary fields of any component that names a KMS component (`kms = "…"`), whatever
/// its kind: its calls to KMS through the shared mechanism (`kms::caller`).
pub const KMS_FIELDS: &[Field] = &[
    Field {
        path: "kms.calls",
        unit: Unit::Count,
        about: "calls it made to KMS (Decrypt, GenerateDataKey) for requests in the measured period, retries not counted",
    },
    Field {
        path: "kms.attempts",
        unit: Unit::Count,
        about: "attempts of those calls, the SDK's retries included",
    },
    Field {
        path: "kms.failed",
        unit: Unit::Count,
        about: "calls to KMS that failed after the SDK's retries (the request failed with them)",
    },
    Field {
        path: "kms.reused",
        unit: Unit::Count,
        about: "requests served by a key in hand (a data-key cache, an S3 Bucket Key), with no call to KMS",
    },
];

/// The summary fields of any component whose calls its `role` denies, whatever its kind,
/// per callee (`*`: the callee's id).
/// And of any whose calls a security group drops (`crate::network`).
pub const ACCESS_FIELDS: &[Field] = &[
    Field {
        path: "access.denied.*",
        unit: Unit::Count,
        about: "calls to this callee its role denied: answered 403 at once, never retried (whole run)",
    },
    Field {
        path: "network.dropped.*",
        unit: Unit::Count,
        about: "attempts to this callee its security groups or a network ACL dropped: each waits out the caller's timeout, then may be retried (whole run)",
    },
    Field {
        path: "network.hung.*",
        unit: Unit::Count,
        about: "of those, attempts with no timeout: they hang until the run ends (whole run)",
    },
];

/// The summary fields of any component that calls another, whatever its kind, per callee
/// (`*`: the callee's id): the attempts of its calls and, of them, its retries (an SDK's
/// or a hand-written policy's), counted as they end at the caller in the measured period.
/// Attempts over first attempts (attempts − retries) is the edge's retry amplification.
pub const CALL_FIELDS: &[Field] = &[
    Field {
        path: "calls.*.attempts",
        unit: Unit::Count,
        about: "attempts of its calls to this callee, retries included, that ended (answered or timed out) in the measured period",
    },
    Field {
        path: "calls.*.retries",
        unit: Unit::Count,
        about: "of those attempts, the retries of a failed call (its SDK's or its `calls` retry policy's, an event source mapping's)",
    },
    Field {
        path: "calls.*.retry_amplification",
        unit: Unit::Number,
        about: "attempts per first attempt on this edge, attempts / (attempts − retries): 1 without retries, 3 when each call takes three attempts (over seeds, of the summed counts)",
    },
];

/// The answers of a kind by status, as most kinds declare them.
pub const BY_STATUS: Field = Field {
    path: "by_status.*",
    unit: Unit::Count,
    about: "requests by the status they were answered with",
};

/// The table column of a kind's `cost_usd` field.
pub const COST_COLUMN: Column = Column {
    label: "cost",
    field: "cost_usd",
    unit: Unit::Usd,
};

/// The table column of `LATE_REPLIES`.
pub const LATE_REPLIES_COLUMN: Column = Column {
    label: "late replies",
    field: "late_replies",
    unit: Unit::Count,
};

/// The response time of the successful answers of a kind, as most kinds declare it.
pub const RESPONSE_MS: Field = Field {
    path: "response_ms.*",
    unit: Unit::Milliseconds,
    about: "time from arrival to a successful answer (count, mean, p50 … p999, max)",
};

/// A column of the kind's tables (terminal and HTML): a field, with its label.
#[derive(Debug)]
pub struct Column {
    /// The header, without its unit: "mean response".
    pub label: &'static str,
    /// The summary field shown, as a dotted path below `components.<id>.`.
    pub field: &'static str,
    /// The field's unit, which sets the header's suffix and how cells are written.
    pub unit: Unit,
}

/// How an event a kind records (`events.csv`) is shown on plots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Starts a shaded span, named by these words after the component's id.
    SpanStart(&'static str),
    /// Ends the span of these words.
    SpanEnd(&'static str),
    /// A dashed line with the event's words.
    Instant,
    /// Kept in `events.csv`, not drawn (one instance's way through its life).
    Hidden,
}

/// An event a kind records, and how it is shown.
#[derive(Debug)]
pub struct EventInfo {
    /// The event's name in `events.csv`.
    pub event: &'static str,
    /// How plots show it.
    pub mark: Mark,
}

/// A fault particular to a kind (`[[fault]] kind = "…"`), beyond the generic ones.
#[derive(Debug)]
pub struct FaultInfo {
    /// What `kind = "…"` says in the `[[fault]]` table.
    pub name: &'static str,
    /// The keys it takes, in words, for messages: "`target`, and optionally `count`".
    pub takes: &'static str,
    /// The keys it takes besides `at`, `for` and `kind`.
    pub keys: &'static [&'static str],
    /// One sentence: what the fault does to the component.
    pub about: &'static str,
}

/// Everything a kind declares about itself.
#[derive(Debug)]
pub struct KindInfo {
    /// What `kind = "…"` says.
    pub name: &'static str,
    /// AWS's name for it, for diagrams and tables.
    pub title: &'static str,
    /// One of it, in words with an article, for messages: "an Auto Scaling group".
    pub noun: &'static str,
    /// Its family, for diagrams.
    pub category: Category,
    /// One sentence: what it models.
    pub about: &'static str,
    /// The keys of its table besides `id`, `kind` and `az`.
    pub keys: &'static [Key],
    /// Faults particular to it.
    pub faults: &'static [FaultInfo],
    /// Every series it emits.
    pub series: &'static [&'static Series],
    /// Every number it puts in the summary.
    pub fields: &'static [Field],
    /// The columns of its tables.
    pub columns: &'static [Column],
    /// The panels of its chart.
    pub panels: &'static [PlotPanel],
    /// The events it records.
    pub events: &'static [EventInfo],
}

impl KindInfo {
    /// How one of its events is shown (an undeclared one as an instant).
    pub fn mark(&self, event: &str) -> Mark {
        self.events
            .iter()
            .find(|e| e.event == event)
            .map_or(Mark::Instant, |e| e.mark)
    }

    /// Whether `path` (below `components.<id>.`) is one of its summary fields, or one every
    /// component that calls KMS has (`KMS_FIELDS`).
    pub fn has_field(&self, path: &str) -> bool {
        self.fields
            .iter()
            .chain(KMS_FIELDS)
            .chain(ACCESS_FIELDS)
            .chain(CALL_FIELDS)
            .any(|f| path_matches(f.path, path))
    }
}

/// The account-wide quotas kinds claim a share of before a run (`[account]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct AccountClaims {
    /// Lambda concurrency set aside by functions (reserved, or provisioned where nothing is
    /// reserved): carved out of the account's pool.
    pub lambda_set_aside: u32,
    /// KMS's symmetric-crypto request quota, as the first KMS component states it
    /// (aws-facts: §12 KMS: one per account and Region); `None`: no KMS component.
    pub kms_quota: Option<super::kms::Quota>,
}

impl AccountClaims {
    /// The claims of each Region: the account's quotas are each Region's own (aws-facts: §1,
    /// §2, §12), so what a component claims is taken from its Region's.
    pub fn by_region<'a>(
        specs: impl IntoIterator<Item = (&'a ComponentSpec, &'a str)>,
    ) -> std::collections::BTreeMap<&'a str, AccountClaims> {
        let mut claims = std::collections::BTreeMap::<&str, AccountClaims>::new();
        for (spec, region) in specs {
            spec.claim(claims.entry(region).or_default());
        }
        claims
    }
}

/// What a component does when a zone it touches fails (`az_outage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneOutage {
    /// Nothing: it is not in the zone.
    Unaffected,
    /// It is unreachable while the outage lasts.
    Down,
    /// It is told, with this fault code of its own, and acts as its kind does (a group loses
    /// the instances there, a database fails over).
    Told(u32),
}

/// A part of a component that AWS puts in a zone and the scenario puts in none: no
/// `az_outage` reaches it, which the scenario warns of when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplaced {
    /// What it is, for a sentence: "the writer", "the 2 read replicas".
    pub what: String,
    /// Whether `what` is more than one (them, are).
    pub plural: bool,
    /// The key that places it: `az`, `replica_zones`, `zones`.
    pub key: &'static str,
}

/// How a diagram draws a component beyond its box: its detail lines and the boxes beside it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiagramSpec {
    /// A few short lines of its key settings (its `summary_lines` unless it says otherwise).
    pub lines: Vec<String>,
    /// Instances that stand beside it: a Multi-AZ standby, read replicas.
    pub satellites: Vec<Satellite>,
    /// The component it is a part of, by index, and the words of the line joining them (an
    /// EBS volume and its host, "attached"): drawn beside that one, in its zones, as a box of
    /// its own (it has figures of its own), not as a dashed copy.
    pub part_of: Option<(usize, &'static str)>,
}

/// An instance drawn beside a component, smaller and dashed: a standby or a replica.
#[derive(Clone, Debug, PartialEq)]
pub struct Satellite {
    /// What it is, in a word or two: "standby", "read replica".
    pub name: String,
    /// Where it sits.
    pub zone: SatelliteZone,
    /// How it is kept up to date, in words for the line to it: "sync replication", "async".
    pub link: &'static str,
    /// The component's instances it stands for, by the numbers its summary counts them by
    /// (RDS's `instance_reads`), so that the service map can show what they served; empty
    /// for one that serves nothing (a standby that only takes over).
    pub instances: Vec<usize>,
}

/// Where a satellite sits: relative to its component's zone, or in a zone by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SatelliteZone {
    /// In the n-th zone other than the component's (0: the first other one).
    Other(usize),
    /// In this zone (beside its component when that is the component's own).
    Named(String),
    /// In no zone the scenario names (a read replica without `replica_zones`, which no
    /// zone's outage reaches): drawn in the region, outside every zone.
    Unplaced,
}

/// How components of several kinds are tied together, as AWS ties them: a load balancer in
/// front of an Auto Scaling group shares the group's target group.
#[derive(Debug, Default)]
pub struct Relations {
    /// Component ids, in scenario order.
    pub ids: Vec<String>,
    /// Whether each component is a fleet with a target group (an Auto Scaling group).
    pub fleets: Vec<bool>,
    /// The kind of each component (what `kind = "…"` says), for a tie that only one kind
    /// may be the other end of (a queue's dead-letter queue is a queue).
    pub kinds: Vec<&'static str>,
    /// The load balancer fronting each fleet, once one claims it.
    pub fronted_by: Vec<Option<usize>>,
    /// Whether each component is an Application Load Balancer, once it says so.
    pub application_lb: Vec<bool>,
    /// Each fleet that scales on requests per target, and where it says so: the load
    /// balancer in front of it must be an Application Load Balancer (checked once every
    /// component has related).
    pub per_target: Vec<(usize, std::ops::Range<usize>)>,
    /// Each Region's first KMS component and its account quota there in words, which every
    /// other one of the Region must state alike: (region, component, words).
    pub kms_quota: Vec<(String, usize, String)>,
    /// Whether each component's instances take EBS volumes (a database, a fleet), and whose
    /// rules they follow.
    pub volume_hosts: Vec<Option<super::ebs::VolumeHost>>,
    /// The component that gives each host its volumes, once one claims it.
    pub volumes: Vec<Option<usize>>,
    /// The KMS component each component names (`kms = "…"`), by index.
    pub kms: Vec<Option<usize>>,
    /// The region of each component.
    pub regions: Vec<String>,
    /// The zone each component names with `az`, if any.
    pub azs: Vec<Option<String>>,
    /// The zones each component spans (`Kind::zones`: a group's).
    pub zone_lists: Vec<Vec<String>>,
    /// Each Lambda function's timeout (`Kind::function_timeout`), which a queue that invokes
    /// it must give in its visibility timeout.
    pub function_timeouts: Vec<Option<crate::kernel::SimTime>>,
    /// Each Lambda function's reserved concurrency (`Kind::reserved_concurrency`), which a
    /// queue's event source mapping running more batches at once would exceed.
    pub reserved_concurrency: Vec<Option<u32>>,
    /// Whether each queue or topic is FIFO (`Kind::fifo`), for its dead-letter queues.
    pub fifo: Vec<Option<bool>>,
    /// The Step Functions quotas of each Region and workflow type ("region Standard"): the
    /// first state machine to state them and its words, which every other one there must
    /// state alike (aws-facts: §18 Step Functions: per account and Region).
    pub step_functions_quotas: Vec<(String, usize, String)>,
    /// Each Lambda function whose `batch_calls` says per_batch, and where: warned of when no
    /// event source mapping (a queue's, a table stream's) invokes it with batches.
    pub per_batch: Vec<(usize, std::ops::Range<usize>)>,
    /// Numbers a tie leaves blind to what an expectation on them may mean to catch (a
    /// dead-letter queue's `sends`, which a redrive does not add to): warned of at such an
    /// expectation.
    pub blind: Vec<Blind>,
}

/// A component's number that a tie with another leaves blind to some of what it seems to
/// count, and why (naming the number that does count it).
#[derive(Clone, Debug)]
pub struct Blind {
    /// The component, by index.
    pub component: usize,
    /// The number's path in its summary (`sends`).
    pub field: &'static str,
    /// Why, in words that follow "`components.x.sends` …".
    pub why: String,
}

/// A Lambda event source mapping reading a component (a queue, a table's stream) and invoking
/// a function with what it reads: what the function's execution role needs on the source.
/// Lambda reads the source with that role (lambda:lambda-intro-execution-role.html: "When you
/// use an event source mapping to invoke your function, Lambda uses the execution role to
/// read event data").
#[derive(Clone, Debug)]
pub struct Mapping {
    /// The function's index among the scenario's components.
    pub function: usize,
    /// Where the function is named (`consumer.to`, `stream.consumer`), for messages.
    pub span: std::ops::Range<usize>,
    /// The source in words, for messages: "the queue", "the table's stream".
    pub source: &'static str,
    /// The actions (`service:Action`) the role needs, all of them on the source's ARN
    /// (`Kind::iam_resource`) with `part` added.
    pub actions: &'static [&'static str],
    /// What of the source the actions name beyond its ARN: `""` the source itself (a queue),
    /// a part beneath it (a table's stream, `dynamodb::STREAM`).
    pub part: &'static str,
    /// The AWS managed policy that grants them, for messages.
    pub managed: &'static str,
}

/// A batch action of an AWS API (`Kind::batch_action`): which one, among the kind's own,
/// and the most entries one call of it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchAction {
    /// The kind's number for the action (messages of different actions go in different
    /// calls: a table's writes in BatchWriteItem, its reads in BatchGetItem).
    pub action: u8,
    /// The most entries one call of it takes.
    pub entries: u16,
}

/// A kind of component: its config, read from a `[[component]]` table, and everything it
/// declares. Implemented once per kind, in the kind's own folder.
pub trait Kind: Clone + Debug + Send + Sync + 'static {
    /// What the kind declares about itself.
    const INFO: &'static KindInfo;
    /// Whether a call to it may be asynchronous (`mode = "async"`): whether it answers once it
    /// has accepted the work rather than once the work is done, for a caller that asks so.
    const ACCEPTS_ASYNC: bool = false;
    /// For a kind that tells writes from reads by their operations' names: the key listing
    /// them and the list it takes when that key is not written (`archsim import` adds there
    /// the writes an API names after its routes). None: no list.
    const WRITE_OPS: Option<WriteOps> = None;
    /// Whether it treats a request by whether its operation is a read or a write without a
    /// list of writes (`WRITE_OPS`): CloudFront caches only the operations its `cached` key
    /// names. `archsim import` asks for a read/write mix where requests reach such a kind.
    const TELLS_READS_FROM_WRITES: bool = false;
    /// For an AWS API whose calls IAM checks: the service prefix of its actions
    /// (`service:Action`), which a role's statements may name.
    const IAM_PREFIX: Option<&'static str> = None;
    /// Every action (its name, without the prefix) that calls to it (`iam_action`) and its
    /// event-source mappings (`mappings`) ask for: a statement naming another of the service
    /// matches none of them, which a name near one of these is warned of as a misspelling.
    const IAM_ACTIONS: &'static [&'static str] = &[];
    /// For an AWS API whose calls IAM checks: the parts beneath its ARN that calls to it name
    /// (`IamAction::part`), each one more ARN a component id in a role's resources stands
    /// for: S3's objects (`"/*"`) beside the bucket. None by default: calls name the
    /// resource itself.
    const IAM_PARTS: &'static [&'static str] = &[];
    /// Whether it lives in a VPC, with network interfaces that security groups guard (a
    /// `security_groups` key); managed APIs reached over their public endpoint do not.
    const IN_VPC: bool = false;

    /// The CloudFormation and Terraform resource types it maps, for `archsim import`.
    const IMPORTS: &'static Imports = &Imports::NONE;

    /// Reads and validates the kind-specific part of a `[[component]]` table.
    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self>;

    /// A few short lines of its key settings, for diagrams.
    fn summary_lines(&self) -> Vec<String>;

    /// Builds the running component for one run. Cannot fail: the config was validated.
    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component>;

    /// How a diagram draws it: detail lines and the standbys or replicas beside it.
    fn diagram(&self) -> DiagramSpec {
        DiagramSpec {
            lines: self.summary_lines(),
            ..DiagramSpec::default()
        }
    }

    /// The downstream calls it makes, as written.
    fn calls(&self) -> &[CallSpec] {
        &[]
    }

    /// Whether a request of operation `op` can make its call `call` (an index in `calls`),
    /// for a kind that sends some operations down one call alone (an API whose route has an
    /// integration of its own). Every call, by default.
    fn call_carries(&self, _call: usize, _op: u16) -> bool {
        true
    }

    /// For an AWS API reached through an SDK: its throttling errors and which of the SDKs'
    /// per-service defaults apply. Callers that set no `retry` then get the SDK's default
    /// (aws-facts: §7 SDK retries); `None`: not reached through an SDK (a database, a cache,
    /// an HTTP endpoint), one attempt unless the caller says otherwise.
    fn sdk_service(&self) -> Option<SdkService> {
        None
    }

    /// For an AWS API with batch actions: the one a message of operation `op` (named
    /// `name`) goes in when a Lambda handler makes one call per batch (`batch_calls =
    /// "per_batch"`), and how many entries it takes (a BatchWriteItem's 25 puts, a
    /// BatchGetItem's 100 reads, a SendMessageBatch's 10); `None`: that operation has no
    /// batch form (an UpdateItem), each message is a call of its own. A kind with no batch
    /// action at all answers `None` for every operation, and takes a batch's call as one
    /// request.
    fn batch_action(&self, _op: u16, _name: &str) -> Option<BatchAction> {
        None
    }

    /// For an AWS API whose calls IAM checks: the action a call carrying operation `op`
    /// (named `name` in the scenario) asks for, without its prefix (`IAM_PREFIX`); `None`: a
    /// call to it is not an AWS API request (a database's SQL, an HTTP endpoint).
    fn iam_action(&self, _op: u16, _name: &str) -> Option<IamAction> {
        None
    }

    /// For an AWS API whose calls IAM checks: the ARN of the component `id` in `region`,
    /// which a call names as its resource (with its `IamAction::part` added) and a
    /// statement's resources match.
    fn iam_resource(&self, _id: &str, _region: &str) -> Option<String> {
        None
    }

    /// The KMS action (without its `kms:` prefix) its `kms` link asks for on behalf of a
    /// request carrying operation `op`, or `None` when such a request needs no key. `Decrypt`
    /// by default: a wrapped kind decrypts a data key per request, Lambda its environment
    /// variables at a cold start, whatever the invocation carries.
    fn kms_action(&self, _op: u16) -> Option<&'static str> {
        Some("Decrypt")
    }

    /// Whether its KMS requests are made with its caller's credentials rather than its own
    /// role's: then it is each caller's role that needs `kms_action` on the key, and a denial
    /// answers the caller's request 403 (S3 with SSE-KMS).
    const KMS_AS_CALLER: bool = false;

    /// Whether the connections its own calls stand for are its callers' (a cache in front of
    /// a database: on a miss the application reads the database itself, the cache never
    /// connects to it): the network's security groups and ACLs then judge its calls as made
    /// by its callers.
    const CONNECTS_AS_CALLERS: bool = false;

    /// Whether its calls to AWS APIs are signed with its callers' credentials (a cache in
    /// front of a table: on a miss the application reads the table with its own role): IAM
    /// then checks them against its callers' roles (`access::checks`), not its own, which
    /// signs only its `kms` link. Not so for a kind that only connects as its callers (a
    /// Route 53 name's targets: a bucket's website endpoint is read anonymously).
    const SIGNS_AS_CALLERS: bool = false;

    /// Whether a request goes to one of its calls' targets (a load balancer routes it to one)
    /// rather than down each call in turn.
    fn routes_to_one(&self) -> bool {
        false
    }

    /// Whether it spans zones (listed in its own keys) rather than sitting in one `az`.
    fn spans_zones(&self) -> bool {
        false
    }

    /// The probes it sends, on its own whatever its requests, to each instance behind each of
    /// its calls over a run of `duration` (a load balancer's health checks): counted in a
    /// scenario's work estimate, where they may outnumber the requests' calls. None by
    /// default.
    fn probes(&self, _duration: SimTime) -> f64 {
        0.0
    }

    /// The instances it stands for at the start, each probed on its own behind a load
    /// balancer (an Auto Scaling group's desired capacity); one by default.
    fn instances(&self) -> f64 {
        1.0
    }

    /// The port its listener takes connections on, which network ACL rules match
    /// (`crate::network`): 443 (HTTPS) unless the kind says otherwise, a choice.
    fn port(&self) -> u16 {
        443
    }

    /// The memory its configuration makes it take before the first request [bytes], beyond
    /// what every component holds (`limits::COMPONENT_BYTES`), and what takes it (a FIFO
    /// queue's message groups, a table's partitions): a scenario whose parts would take more
    /// than a run may is refused before it runs (`limits::MAX_RUN_BYTES`). What grows with
    /// the traffic (caches filling, backlogs) is bounded by limits of its own.
    fn upfront_bytes(&self) -> Option<(u64, String)> {
        None
    }

    /// Whether it is a global service, in no region (Route 53): it takes no `region` or
    /// `az`, and no region's outage takes it down.
    fn global(&self) -> bool {
        false
    }

    /// The zones it uses besides its `az`.
    fn zones(&self) -> Vec<&str> {
        Vec::new()
    }

    /// The parts of it that AWS puts in a zone and the scenario, with `az` as given, puts in
    /// none. None for a regional service (Lambda, DynamoDB, S3, …), whose AWS-managed
    /// placement across zones no single zone's outage takes down.
    fn unplaced(&self, _az: Option<&str>) -> Vec<Unplaced> {
        Vec::new()
    }

    /// What a failure of zone `zone` does to it, placed in `az`.
    fn zone_outage(&self, zone: &str, az: Option<&str>) -> ZoneOutage {
        if az == Some(zone) {
            ZoneOutage::Down
        } else {
            ZoneOutage::Unaffected
        }
    }

    /// Reads a fault of its own (one of `INFO.faults`): the code it is told, and words to
    /// add to the fault's label (" x2").
    fn parse_fault(
        &self,
        _fault: &str,
        _raw: &RawFault,
        _ck: &mut Checker,
    ) -> Option<(u32, String)> {
        None
    }

    /// Its share of the account's quotas.
    fn claim(&self, _claims: &mut AccountClaims) {}

    /// Where the setting behind its share of the account's Lambda concurrency
    /// (`AccountClaims::lambda_set_aside`) is written, for a message when a Region's
    /// functions set aside too much.
    fn set_aside_span(&self) -> Option<std::ops::Range<usize>> {
        None
    }

    /// What it does with the KMS component its table names (`kms = "…"`): by default each
    /// request it handles first calls KMS (Decrypt).
    fn kms_use(&self) -> KmsUse {
        KmsUse::PerRequest
    }

    /// For a Lambda function: its timeout, the longest an invocation from an event source
    /// mapping may hold a batch.
    fn function_timeout(&self) -> Option<crate::kernel::SimTime> {
        None
    }

    /// For a Lambda function: its reserved concurrency, if it sets one, beyond which an
    /// event source mapping's invocations are throttled.
    fn reserved_concurrency(&self) -> Option<u32> {
        None
    }

    /// For a queue or a topic: whether it is FIFO (a dead-letter queue must be of its kind).
    fn fifo(&self) -> Option<bool> {
        None
    }

    /// What it cannot show within a run of `duration` (a dead-letter queue no message can
    /// reach in that time), each said as a warning at the component; `ids` names the
    /// components by index.
    fn run_warnings(&self, _duration: crate::kernel::SimTime, _ids: &[&str]) -> Vec<String> {
        Vec::new()
    }

    /// For an event source Lambda polls (a queue, a table's stream): the event source
    /// mappings that read it, each with what its function's execution role needs on it.
    fn mappings(&self) -> Vec<Mapping> {
        Vec::new()
    }

    /// Whether it is a fleet with a target group that a load balancer can front.
    fn is_fleet(&self) -> bool {
        false
    }

    /// For a kind a browser may call directly (aws-facts: §21 CORS): what the browser meets,
    /// its CORS configuration if it has one; `None`: a browser workload may not target it.
    fn cors(&self) -> Option<super::cors::CorsServer> {
        None
    }

    /// Settles its ties with other components once all are read (a load balancer finds
    /// whether its target is a fleet); false when a tie is wrong (reported on `ck`).
    fn relate(&mut self, _me: usize, _relations: &mut Relations, _ck: &mut Checker) -> bool {
        true
    }

    /// For a kind that passes its callers' requests on as their own (Route 53's records, which
    /// the client then connects to): how long those callers wait for an answer, the longest
    /// timeout among the workloads and calls sent to it (`None` when one of them waits
    /// without end, or nothing is), so that its own wait can default to theirs.
    fn callers_wait(&mut self, _longest: Option<crate::kernel::SimTime>) {}

    /// For a load balancer fronting a fleet: the fleet's index and the deregistration delay
    /// it sets on the fleet's target group.
    fn fronts(&self) -> Option<(usize, crate::kernel::SimTime)> {
        None
    }

    /// Whether its instances take EBS volumes (each its own), which it then does I/O on, and
    /// whose rules those volumes follow (EBS's own on EC2, RDS's for a database's engine).
    fn volume_host(&self) -> Option<super::ebs::VolumeHost> {
        None
    }

    /// Whether requests may be sent to it (by a workload or a call); false for a part of
    /// another component, such as the volumes of a database's instances.
    fn answers_calls(&self) -> bool {
        true
    }

    /// For volumes attached to another component's instances: that component's index and
    /// the volumes, fresh for one run.
    fn disk(&self, _clock: &crate::metrics::Clock) -> Option<(usize, super::ebs::Disk)> {
        None
    }

    /// What AWS bills for it that its `cost_usd` leaves out, in a few words each ("RDS
    /// Proxy"): the summary lists them beside the cost, so that a variant that adds an
    /// unpriced part is not taken for one that costs nothing more. Nothing, by default.
    fn unpriced(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Legend labels that name what the scenario names, by series id, over its panels'
    /// `PlotLine::label`s (a Route 53 record's target, where the kind can only say "record
    /// 1"): the summary keeps them (`legend`) for the charts. None by default.
    fn legend(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// A kind's config behind a pointer: what a `ComponentSpec` holds. Implemented for every
/// `Kind`; nothing implements it by hand.
pub trait DynKind: Debug + Send + Sync {
    /// `Kind::INFO`: what the kind declares about itself.
    fn info(&self) -> &'static KindInfo;
    /// `Kind::summary_lines`: a few short lines of its key settings, for diagrams.
    fn summary_lines(&self) -> Vec<String>;
    /// `Kind::build`: builds the running component for one run.
    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component>;
    /// `Kind::diagram`: how a diagram draws it.
    fn diagram(&self) -> DiagramSpec;
    /// `Kind::calls`: the downstream calls it makes, as written.
    fn calls(&self) -> &[CallSpec];
    /// `Kind::call_carries`: whether a request of operation `op` can make call `call`.
    fn call_carries(&self, call: usize, op: u16) -> bool;
    /// `Kind::sdk_service`: how an SDK client of this kind classifies its answers.
    fn sdk_service(&self) -> Option<SdkService>;
    /// `Kind::batch_action`: the batch action a message of operation `op` goes in.
    fn batch_action(&self, op: u16, name: &str) -> Option<BatchAction>;
    /// `Kind::routes_to_one`: whether a request goes to one of its calls' targets.
    fn routes_to_one(&self) -> bool;
    /// `Kind::probes`: the probes it sends each instance behind its calls over `duration`.
    fn probes(&self, duration: SimTime) -> f64;
    /// `Kind::instances`: the instances it stands for at the start.
    fn instances(&self) -> f64;
    /// `Kind::IAM_PREFIX` and `Kind::iam_action`: the full action (`service:Action`) a call
    /// carrying operation `op` asks for, and the error code of a denial.
    fn iam_action(&self, op: u16, name: &str) -> Option<(String, IamAction)>;
    /// `Kind::iam_resource`: its ARN, to which a call's `IamAction::part` is added.
    fn iam_resource(&self, id: &str, region: &str) -> Option<String>;
    /// `Kind::iam_resource` and each of `Kind::IAM_PARTS` beneath it: every ARN the calls to
    /// it name, which its id stands for in a role's resources.
    fn iam_resources(&self, id: &str, region: &str) -> Option<Vec<String>>;
    /// `Kind::kms_action`: the KMS action its `kms` link asks for, for a request carrying `op`.
    fn kms_action(&self, op: u16) -> Option<&'static str>;
    /// `Kind::KMS_AS_CALLER`: whether its KMS requests carry its caller's credentials.
    fn kms_as_caller(&self) -> bool;
    /// `Kind::CONNECTS_AS_CALLERS`: whether its calls are its callers' connections.
    fn connects_as_callers(&self) -> bool;
    /// `Kind::SIGNS_AS_CALLERS`: whether its calls carry its callers' credentials.
    fn signs_as_callers(&self) -> bool;
    /// `Kind::spans_zones`: whether it spans zones rather than sitting in one `az`.
    fn spans_zones(&self) -> bool;
    /// `Kind::port`: the port its listener takes connections on.
    fn port(&self) -> u16;
    /// `Kind::global`: whether it is a global service, in no region.
    fn global(&self) -> bool;
    /// `Kind::upfront_bytes`: the memory its configuration takes before any request.
    fn upfront_bytes(&self) -> Option<(u64, String)>;
    /// `Kind::ACCEPTS_ASYNC`: whether a call to it may be asynchronous.
    fn accepts_async(&self) -> bool;
    /// `Kind::IN_VPC`: whether security groups guard it.
    fn in_vpc(&self) -> bool;
    /// `Kind::zones`: the zones it uses besides its `az`.
    fn zones(&self) -> Vec<&str>;
    /// `Kind::unplaced`: its parts that AWS puts in a zone and the scenario in none.
    fn unplaced(&self, az: Option<&str>) -> Vec<Unplaced>;
    /// `Kind::zone_outage`: what a failure of zone `zone` does to it, placed in `az`.
    fn zone_outage(&self, zone: &str, az: Option<&str>) -> ZoneOutage;
    /// `Kind::parse_fault`: reads a fault of its own, giving its code and label words.
    fn parse_fault(&self, fault: &str, raw: &RawFault, ck: &mut Checker) -> Option<(u32, String)>;
    /// `Kind::claim`: its share of the account's quotas.
    fn claim(&self, claims: &mut AccountClaims);
    /// `Kind::set_aside_span`: where its share of the account's Lambda concurrency is written.
    fn set_aside_span(&self) -> Option<std::ops::Range<usize>>;
    /// `Kind::kms_use`: what it does with the KMS component its table names.
    fn kms_use(&self) -> KmsUse;
    /// `Kind::function_timeout`: a Lambda function's timeout.
    fn function_timeout(&self) -> Option<crate::kernel::SimTime>;
    /// `Kind::reserved_concurrency`: a Lambda function's reserved concurrency.
    fn reserved_concurrency(&self) -> Option<u32>;
    /// `Kind::fifo`: whether a queue or a topic is FIFO.
    fn fifo(&self) -> Option<bool>;
    /// `Kind::run_warnings`: what it cannot show within a run of that length.
    fn run_warnings(&self, duration: crate::kernel::SimTime, ids: &[&str]) -> Vec<String>;
    /// `Kind::mappings`: the event source mappings that read it.
    fn mappings(&self) -> Vec<Mapping>;
    /// `Kind::is_fleet`: whether it is a fleet with a target group.
    fn is_fleet(&self) -> bool;
    /// `Kind::cors`: what a browser calling it meets; `None`: no browser may.
    fn cors(&self) -> Option<super::cors::CorsServer>;
    /// `Kind::relate`: settles its ties with other components; false when a tie is wrong.
    fn relate(&mut self, me: usize, relations: &mut Relations, ck: &mut Checker) -> bool;
    /// `Kind::callers_wait`: how long its callers wait for an answer.
    fn callers_wait(&mut self, longest: Option<crate::kernel::SimTime>);
    /// `Kind::fronts`: the fleet it fronts and the deregistration delay it sets.
    fn fronts(&self) -> Option<(usize, crate::kernel::SimTime)>;
    /// `Kind::volume_host`: whether its instances take EBS volumes, and whose rules.
    fn volume_host(&self) -> Option<super::ebs::VolumeHost>;
    /// `Kind::answers_calls`: whether requests may be sent to it.
    fn answers_calls(&self) -> bool;
    /// `Kind::disk`: the host its volumes are attached to, and the volumes for one run.
    fn disk(&self, clock: &crate::metrics::Clock) -> Option<(usize, super::ebs::Disk)>;
    /// `Kind::unpriced`: what its cost leaves out.
    fn unpriced(&self) -> Vec<&'static str>;
    /// `Kind::legend`: its charts' labels that name what the scenario names.
    fn legend(&self) -> Vec<(&'static str, String)>;
    /// A copy of the config behind a new pointer, for `ComponentSpec`'s `Clone`.
    fn clone_box(&self) -> Box<dyn DynKind>;
    /// The config itself, for a test that inspects it.
    fn as_any(&self) -> &dyn Any;
}

impl<K: Kind> DynKind for K {
    fn info(&self) -> &'static KindInfo {
        K::INFO
    }
    fn summary_lines(&self) -> Vec<String> {
        Kind::summary_lines(self)
    }
    fn build(&self, index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        Kind::build(self, index, env, shared)
    }
    fn diagram(&self) -> DiagramSpec {
        Kind::diagram(self)
    }
    fn calls(&self) -> &[CallSpec] {
        Kind::calls(self)
    }
    fn call_carries(&self, call: usize, op: u16) -> bool {
        Kind::call_carries(self, call, op)
    }
    fn sdk_service(&self) -> Option<SdkService> {
        Kind::sdk_service(self)
    }
    fn batch_action(&self, op: u16, name: &str) -> Option<BatchAction> {
        Kind::batch_action(self, op, name)
    }
    fn routes_to_one(&self) -> bool {
        Kind::routes_to_one(self)
    }
    fn probes(&self, duration: SimTime) -> f64 {
        Kind::probes(self, duration)
    }
    fn instances(&self) -> f64 {
        Kind::instances(self)
    }
    fn iam_action(&self, op: u16, name: &str) -> Option<(String, IamAction)> {
        let prefix = K::IAM_PREFIX?;
        Kind::iam_action(self, op, name).map(|a| (format!("{prefix}:{}", a.name), a))
    }
    fn iam_resource(&self, id: &str, region: &str) -> Option<String> {
        Kind::iam_resource(self, id, region)
    }
    fn iam_resources(&self, id: &str, region: &str) -> Option<Vec<String>> {
        let arn = Kind::iam_resource(self, id, region)?;
        let parts = K::IAM_PARTS.iter().map(|p| format!("{arn}{p}"));
        Some(std::iter::once(arn.clone()).chain(parts).collect())
    }
    fn kms_action(&self, op: u16) -> Option<&'static str> {
        Kind::kms_action(self, op)
    }
    fn kms_as_caller(&self) -> bool {
        K::KMS_AS_CALLER
    }
    fn connects_as_callers(&self) -> bool {
        K::CONNECTS_AS_CALLERS
    }
    fn signs_as_callers(&self) -> bool {
        K::SIGNS_AS_CALLERS
    }
    fn spans_zones(&self) -> bool {
        Kind::spans_zones(self)
    }
    fn port(&self) -> u16 {
        Kind::port(self)
    }
    fn global(&self) -> bool {
        Kind::global(self)
    }
    fn upfront_bytes(&self) -> Option<(u64, String)> {
        Kind::upfront_bytes(self)
    }
    fn zones(&self) -> Vec<&str> {
        Kind::zones(self)
    }
    fn unplaced(&self, az: Option<&str>) -> Vec<Unplaced> {
        Kind::unplaced(self, az)
    }
    fn zone_outage(&self, zone: &str, az: Option<&str>) -> ZoneOutage {
        Kind::zone_outage(self, zone, az)
    }
    fn parse_fault(&self, fault: &str, raw: &RawFault, ck: &mut Checker) -> Option<(u32, String)> {
        Kind::parse_fault(self, fault, raw, ck)
    }
    fn claim(&self, claims: &mut AccountClaims) {
        Kind::claim(self, claims)
    }
    fn set_aside_span(&self) -> Option<std::ops::Range<usize>> {
        Kind::set_aside_span(self)
    }
    fn kms_use(&self) -> KmsUse {
        Kind::kms_use(self)
    }
    fn function_timeout(&self) -> Option<crate::kernel::SimTime> {
        Kind::function_timeout(self)
    }
    fn reserved_concurrency(&self) -> Option<u32> {
        Kind::reserved_concurrency(self)
    }
    fn run_warnings(&self, duration: crate::kernel::SimTime, ids: &[&str]) -> Vec<String> {
        Kind::run_warnings(self, duration, ids)
    }
    fn fifo(&self) -> Option<bool> {
        Kind::fifo(self)
    }
    fn mappings(&self) -> Vec<Mapping> {
        Kind::mappings(self)
    }
    fn is_fleet(&self) -> bool {
        Kind::is_fleet(self)
    }
    fn cors(&self) -> Option<super::cors::CorsServer> {
        Kind::cors(self)
    }
    fn relate(&mut self, me: usize, relations: &mut Relations, ck: &mut Checker) -> bool {
        Kind::relate(self, me, relations, ck)
    }
    fn callers_wait(&mut self, longest: Option<crate::kernel::SimTime>) {
        Kind::callers_wait(self, longest);
    }
    fn fronts(&self) -> Option<(usize, crate::kernel::SimTime)> {
        Kind::fronts(self)
    }
    fn volume_host(&self) -> Option<super::ebs::VolumeHost> {
        Kind::volume_host(self)
    }
    fn answers_calls(&self) -> bool {
        Kind::answers_calls(self)
    }
    fn accepts_async(&self) -> bool {
        K::ACCEPTS_ASYNC
    }
    fn in_vpc(&self) -> bool {
        K::IN_VPC
    }
    fn disk(&self, clock: &crate::metrics::Clock) -> Option<(usize, super::ebs::Disk)> {
        Kind::disk(self, clock)
    }
    fn unpriced(&self) -> Vec<&'static str> {
        Kind::unpriced(self)
    }
    fn legend(&self) -> Vec<(&'static str, String)> {
        Kind::legend(self)
    }
    fn clone_box(&self) -> Box<dyn DynKind> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A component's validated configuration, of whichever kind.
#[derive(Debug)]
pub struct ComponentSpec(Box<dyn DynKind>, Option<KmsLink>);

impl Clone for ComponentSpec {
    fn clone(&self) -> Self {
        ComponentSpec(self.0.clone_box(), self.1.clone())
    }
}

impl std::ops::Deref for ComponentSpec {
    type Target = dyn DynKind;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::ops::DerefMut for ComponentSpec {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.0
    }
}

impl ComponentSpec {
    /// The kind's name: what `kind = "…"` said.
    pub fn kind(&self) -> &'static str {
        self.0.info().name
    }

    /// The config as its own type, if it is of that kind.
    pub fn config<K: Kind>(&self) -> Option<&K> {
        self.0.as_any().downcast_ref()
    }

    /// The KMS component it calls (`kms = "…"` beside its `id`), if any.
    pub fn kms(&self) -> Option<&KmsLink> {
        self.1.as_ref()
    }

    /// Ties it to a KMS component (the scenario reads `kms` beside `id` and `kind`).
    pub fn set_kms(&mut self, link: Option<KmsLink>) {
        self.1 = link;
    }
}

/// The key of a kind's table that lists the operations it takes as writes, and the list it
/// takes when the key is not written (`Kind::WRITE_OPS`).
#[derive(Clone, Copy, Debug)]
pub struct WriteOps {
    /// The key (`writes`, `write_ops`).
    pub key: &'static str,
    /// The operations it takes as writes when the key is not written.
    pub default: &'static [&'static str],
}

impl WriteOps {
    /// The `writes` of a table or a cache, `write_ops` of a database or a volume, with the
    /// default list they share (`config::check::DEFAULT_WRITES`).
    pub const fn shared(key: &'static str) -> WriteOps {
        WriteOps {
            key,
            default: crate::config::check::DEFAULT_WRITES,
        }
    }
}

/// A kind as the registry lists it: its declarations and its parser.
pub struct KindEntry {
    /// What the kind declares about itself.
    pub info: &'static KindInfo,
    /// Reads and validates a `[[component]]` table of this kind into a spec.
    pub parse: fn(RawComponentTable<'_>, &mut Checker) -> Option<ComponentSpec>,
    /// `Kind::ACCEPTS_ASYNC`.
    pub accepts_async: bool,
    /// `Kind::WRITE_OPS`.
    pub write_ops: Option<WriteOps>,
    /// `Kind::WRITE_OPS` or `Kind::TELLS_READS_FROM_WRITES`: its requests' operations matter.
    pub tells_reads_from_writes: bool,
    /// `Kind::IAM_PREFIX`.
    pub iam_prefix: Option<&'static str>,
    /// `Kind::IAM_ACTIONS`.
    pub iam_actions: &'static [&'static str],
    /// `Kind::IN_VPC`.
    pub in_vpc: bool,
    /// `Kind::SIGNS_AS_CALLERS`.
    pub signs_as_callers: bool,
    /// The CloudFormation and Terraform resource types it maps, for `archsim import`.
    pub imports: &'static Imports,
}

impl KindEntry {
    /// The entry of kind `K`.
    pub const fn of<K: Kind>() -> KindEntry {
        // Its callers are found as those it connects as (`network::acting`).
        assert!(
            !K::SIGNS_AS_CALLERS || K::CONNECTS_AS_CALLERS,
            "a kind that signs as its callers connects as them"
        );
        KindEntry {
            info: K::INFO,
            parse: parse_as::<K>,
            accepts_async: K::ACCEPTS_ASYNC,
            write_ops: K::WRITE_OPS,
            tells_reads_from_writes: K::WRITE_OPS.is_some() || K::TELLS_READS_FROM_WRITES,
            iam_prefix: K::IAM_PREFIX,
            iam_actions: K::IAM_ACTIONS,
            in_vpc: K::IN_VPC,
            signs_as_callers: K::SIGNS_AS_CALLERS,
            imports: K::IMPORTS,
        }
    }
}

fn parse_as<K: Kind>(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<ComponentSpec> {
    K::parse(table, ck).map(|k| ComponentSpec(Box::new(k), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_wildcards() {
        assert!(path_matches("by_status.*", "by_status.503"));
        assert!(path_matches("utilisation", "utilisation"));
        assert!(!path_matches("by_status.*", "by_status"));
        assert!(!path_matches("utilisation", "utilisation.mean"));
        assert!(path_matches("response_ms.p99", "response_ms.p99"));
    }
}
