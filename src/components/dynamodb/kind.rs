//! What `dynamodb` declares about itself: its keys, series, summary fields, columns, plot
//! panels and events, and the retries AWS's SDKs apply to it.

use super::autoscaling::{TARGET_MAX, TARGET_MIN};
use super::config::{self, DynamoConfig, MAX_PARTITIONS, MAX_UNITS};
use super::THROTTLED;
use crate::components::iac::{
    clamp, string, Dialect, Downstream, Imports, Mapped, Resource, ResourceMap,
};
use crate::components::kind::{
    Category, Column, EventInfo, Field, Key, KeyType, Kind, KindInfo, Mark, PlotLine, PlotPanel,
    Series, Tone, Unit,
};
use crate::components::{BuildEnv, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::iam::{IamAction, ACCOUNT_ID};
use crate::limits::MAX_DYNAMODB_UNITS;
use crate::retry::{SdkService, ServiceFamily};

pub(super) const REQUESTS: Series = Series {
    id: "requests_rps",
    unit: Unit::PerSecond,
    about: "requests received",
};
pub(super) const THROTTLES: Series = Series {
    id: "throttles_rps",
    unit: Unit::PerSecond,
    about: "requests refused with 400 (throughput exceeded)",
};
pub(super) const READ_UNITS: Series = Series {
    id: "read_units_per_s",
    unit: Unit::PerSecond,
    about: "read capacity units consumed",
};
pub(super) const WRITE_UNITS: Series = Series {
    id: "write_units_per_s",
    unit: Unit::PerSecond,
    about: "write capacity units consumed",
};
pub(super) const READ_CAPACITY: Series = Series {
    id: "read_capacity",
    unit: Unit::Number,
    about: "read capacity units provisioned, time-averaged",
};
pub(super) const WRITE_CAPACITY: Series = Series {
    id: "write_capacity",
    unit: Unit::Number,
    about: "write capacity units provisioned, time-averaged",
};
pub(super) const DAX_HIT_RATIO: Series = Series {
    id: "dax_hit_ratio",
    unit: Unit::Share,
    about: "share of DAX reads answered from its cache",
};

impl Kind for DynamoConfig {
    // aws-facts: §19 IAM: DynamoDB's actions are `dynamodb:*`.
    const IAM_PREFIX: Option<&'static str> = Some("dynamodb");
    const INFO: &'static KindInfo = &KindInfo {
        name: "dynamodb",
        title: "Amazon DynamoDB",
        noun: "a DynamoDB table",
        category: Category::Database,
        about: "a table, provisioned (with burst capacity and auto scaling) or on demand, partitions with their own limits, item-size units, consistency, transactions and DAX",
        keys: &[
            Key {
                name: "mode",
                ty: KeyType::Word(&["provisioned", "on_demand"]),
                required: false,
                about: "capacity mode: provisioned (`rcu`, `wcu`, burst capacity, optional `autoscaling`) or on_demand (its warm throughput at once, up to twice the peak of more than 30 minutes ago, at most `max_throughput`) (default provisioned)",
            },
            Key {
                name: "rcu",
                ty: KeyType::Number {
                    min: 0.0,
                    max: MAX_UNITS,
                },
                required: false,
                about: "read capacity units per second, above 0; required when provisioned, refused on demand (no default)",
            },
            Key {
                name: "wcu",
                ty: KeyType::Number {
                    min: 0.0,
                    max: MAX_UNITS,
                },
                required: false,
                about: "write capacity units per second, above 0; required when provisioned, refused on demand (no default)",
            },
            Key {
                name: "partitions",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_PARTITIONS,
                },
                required: false,
                about: "partitions the table starts with, each held to 3,000 RCU and 1,000 WCU per second; more are split off as capacity grows (default: rcu / 3,000 + wcu / 1,000 rounded up, at least 1; on demand 4)",
            },
            Key {
                name: "consistency",
                ty: KeyType::Word(&["eventual", "strong"]),
                required: false,
                about: "read consistency: eventual (half a read unit per 4 KB, served by DAX) or strong (a whole unit, past DAX) (default eventual)",
            },
            Key {
                name: "read_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time a read takes at the table (default lognormal, median 3 ms, p99 10 ms)",
            },
            Key {
                name: "write_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time a write takes at the table (default lognormal, median 5 ms, p99 15 ms)",
            },
            Key {
                name: "writes",
                ty: KeyType::Words,
                required: false,
                about: "operations that write (a unit per 1 KB); every other operation reads (default write, put, update, delete)",
            },
            Key {
                name: "transactions",
                ty: KeyType::Words,
                required: false,
                about: "operations that are transactional, at twice the capacity units (default none)",
            },
            Key {
                name: "autoscaling",
                ty: KeyType::Table(&[
                    Key {
                        name: "target",
                        ty: KeyType::Number {
                            min: TARGET_MIN,
                            max: TARGET_MAX,
                        },
                        required: true,
                        about: "utilisation of provisioned capacity it tracks, a share from 0.2 to 0.9 (no default)",
                    },
                    Key {
                        name: "max_rcu",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "the most read capacity units per second it scales out to (default 10 × rcu)",
                    },
                    Key {
                        name: "max_wcu",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "the most write capacity units per second it scales out to (default 10 × wcu)",
                    },
                    Key {
                        name: "lag",
                        ty: KeyType::Duration,
                        required: false,
                        about: "time from the alarm to the new capacity being in effect (default 2m)",
                    },
                ]),
                required: false,
                about: "target tracking on a provisioned table: out after 2 minutes above the target, in after 15 minutes 20 points below it, never below rcu / wcu (default: none, fixed capacity)",
            },
            Key {
                name: "dax",
                ty: KeyType::Table(&[
                    Key {
                        name: "ttl",
                        ty: KeyType::Duration,
                        required: false,
                        about: "how long an item stays in DAX's cache, above zero (default 5m)",
                    },
                    Key {
                        name: "capacity",
                        ty: KeyType::Integer {
                            min: 1,
                            max: crate::limits::MAX_CACHE_ENTRIES,
                        },
                        required: false,
                        about: "items the cache holds, the least recently used evicted first (default 1,000,000)",
                    },
                    Key {
                        name: "latency",
                        ty: KeyType::TimeDist,
                        required: false,
                        about: "one trip to the DAX cluster: a hit's whole time, added to a miss or a write (default uniform 0.3 to 0.8 ms)",
                    },
                ]),
                required: false,
                about: "DAX in front: eventually consistent reads from its item cache, writes through it (default: none)",
            },
            Key {
                name: "warm_throughput",
                ty: KeyType::Table(&[
                    Key {
                        name: "read",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "read units per second served at once (default 12,000 on demand, rcu provisioned)",
                    },
                    Key {
                        name: "write",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "write units per second served at once (default 4,000 on demand, wcu provisioned)",
                    },
                ]),
                required: false,
                about: "warm throughput (pre-warming): on demand, the rate served at once from the start, never falling, at least a new table's 12,000 read and 4,000 write units/s; provisioned, the partitions are sized for it (default: a new table's)",
            },
            Key {
                name: "max_throughput",
                ty: KeyType::Table(&[
                    Key {
                        name: "read",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "the most read units per second (default 40,000)",
                    },
                    Key {
                        name: "write",
                        ty: KeyType::Number {
                            min: 0.0,
                            max: MAX_UNITS,
                        },
                        required: false,
                        about: "the most write units per second (default 40,000)",
                    },
                ]),
                required: false,
                about: "on demand only: the table's maximum throughput, AWS's default table quota unless set (default 40,000 read and 40,000 write units/s)",
            },
            Key {
                name: "split_delay",
                ty: KeyType::Duration,
                required: false,
                about: "how long a partition throttles before split for heat gives its hottest key a partition of its own, above zero (default 5m, a choice: AWS gives no figure)",
            },
            Key {
                name: "local_secondary_index",
                ty: KeyType::Bool,
                required: false,
                about: "the table has a local secondary index: no split for heat (default false)",
            },
            Key {
                name: "streams",
                ty: KeyType::Bool,
                required: false,
                about: "DynamoDB Streams is on: a provisioned table does not split for heat (default false)",
            },
            Key {
                name: "monotonic_sort_key",
                ty: KeyType::Bool,
                required: false,
                about: "the hot keys' traffic rises or falls along the sort key (a timestamp, a counter): no split for heat (default false)",
            },
        ],
        faults: &[],
        series: &[
            &REQUESTS,
            &THROTTLES,
            &READ_UNITS,
            &WRITE_UNITS,
            &READ_CAPACITY,
            &WRITE_CAPACITY,
            &DAX_HIT_RATIO,
        ],
        fields: &[
            Field {
                path: "requests",
                unit: Unit::Count,
                about: "requests received in the measured period",
            },
            Field {
                path: "throttles",
                unit: Unit::Count,
                about: "requests refused with 400 (throughput exceeded), by the table or a partition",
            },
            Field {
                path: "throttles_by_partition",
                unit: Unit::Count,
                about: "throttles by a partition at its limit while the table had room: a hot key",
            },
            crate::components::kind::BY_STATUS,
            Field {
                path: "throttle_fraction",
                unit: Unit::Share,
                about: "share of requests throttled",
            },
            Field {
                path: "read_units_consumed",
                unit: Unit::Number,
                about: "read capacity units consumed by admitted requests [RCU]",
            },
            Field {
                path: "write_units_consumed",
                unit: Unit::Number,
                about: "write capacity units consumed by admitted requests [WCU]",
            },
            Field {
                path: "partitions",
                unit: Unit::Number,
                about: "partitions at the end of the run, those split off for heat included",
            },
            Field {
                path: "keys_split_off",
                unit: Unit::Count,
                about: "keys given a partition of their own by split for heat, by the end of the run",
            },
            Field {
                path: "read_capacity_mean",
                unit: Unit::Number,
                about: "read capacity in effect, time-averaged [RCU/s]",
            },
            Field {
                path: "write_capacity_mean",
                unit: Unit::Number,
                about: "write capacity in effect, time-averaged [WCU/s]",
            },
            Field {
                path: "dax_hits",
                unit: Unit::Count,
                about: "reads answered from DAX's cache (with DAX only)",
            },
            Field {
                path: "dax_misses",
                unit: Unit::Count,
                about: "reads DAX passed to the table (with DAX only)",
            },
            Field {
                path: "dax_hit_ratio",
                unit: Unit::Share,
                about: "share of DAX reads answered from its cache (with DAX only)",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "provisioned capacity-hours, or on-demand request units, at us-east-1 prices",
            },
            crate::components::kind::RESPONSE_MS,
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "throttled, of requests",
                field: "throttle_fraction",
                unit: Unit::Share,
            },
            Column {
                label: "DAX hits, of DAX reads",
                field: "dax_hit_ratio",
                unit: Unit::Share,
            },
            Column {
                label: "RCU consumed",
                field: "read_units_consumed",
                unit: Unit::Number,
            },
            Column {
                label: "WCU consumed",
                field: "write_units_consumed",
                unit: Unit::Number,
            },
            Column {
                label: "partitions",
                field: "partitions",
                unit: Unit::Count,
            },
            crate::components::kind::LATE_REPLIES_COLUMN,
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            PlotPanel {
                axis: "capacity units/s",
                lines: &[
                    PlotLine {
                        series: &READ_UNITS,
                        label: "reads consumed",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &READ_CAPACITY,
                        label: "read capacity",
                        tone: Tone::Limit,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &WRITE_UNITS,
                        label: "writes consumed",
                        tone: Tone::Warn,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &WRITE_CAPACITY,
                        label: "write capacity",
                        tone: Tone::WarnLimit,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "throttles/s (400)",
                lines: &[
                    PlotLine {
                        series: &THROTTLES,
                        label: "throttled",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "DAX hit ratio [%]",
                lines: &[
                    PlotLine {
                        series: &DAX_HIT_RATIO,
                        label: "hits",
                        tone: Tone::Good,
                        scale: 100.0,
                    },
                ],
                y_max: Some(105.0),
            },
        ],
        events: &[
            EventInfo {
                event: "partition_split",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "scaling_alarm",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "scaled",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "split_for_heat",
                mark: Mark::Instant,
            },
        ],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[ResourceMap {
            cloudformation: &["AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"],
            terraform: &["aws_dynamodb_table"],
            map: import_table,
        }],
        downstream: Downstream::None,
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    fn build(&self, _index: usize, env: BuildEnv, _shared: &Shared) -> Box<dyn Component> {
        Box::new(super::DynamoDb::new(self.clone(), env))
    }

    /// A write (`writes`) asks for `PutItem` (`UpdateItem`, `DeleteItem` for operations of
    /// those names), a read for `GetItem` (`Query`, `Scan` for operations of those names).
    /// aws-facts: §19 IAM errors: a denial is `AccessDeniedException`.
    fn iam_action(&self, op: u16, name: &str) -> Option<IamAction> {
        let name = if self.writes.contains(&op) {
            match name {
                "update" => "UpdateItem",
                "delete" => "DeleteItem",
                _ => "PutItem",
            }
        } else {
            match name {
                "query" => "Query",
                "scan" => "Scan",
                _ => "GetItem",
            }
        };
        Some(IamAction {
            name,
            error: "AccessDeniedException",
        })
    }

    fn iam_resource(&self, id: &str, region: &str) -> Option<String> {
        Some(format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{id}"))
    }

    fn sdk_service(&self) -> Option<SdkService> {
        Some(SDK_SERVICE)
    }
}

/// DynamoDB as its SDK clients see it: ProvisionedThroughputExceeded (400) is a throttling
/// error, and the SDKs' DynamoDB figures apply (aws-facts: §7 SDK retries: standard mode
/// retries it after full jitter on 1 s, transient errors on 25 ms, 4 attempts).
pub const SDK_SERVICE: SdkService = SdkService {
    throttles: &[THROTTLED],
    family: ServiceFamily::DynamoDb,
};

// What `archsim import` makes of a template's tables.

/// A table: its capacity mode and units, its streams and local secondary indexes.
fn import_table(r: &Resource<'_>, m: &mut Mapped) {
    let cf = r.dialect == Dialect::CloudFormation;
    let (mode_key, rcu_key, wcu_key) = if cf {
        (
            "BillingMode",
            "ProvisionedThroughput.ReadCapacityUnits",
            "ProvisionedThroughput.WriteCapacityUnits",
        )
    } else {
        ("billing_mode", "read_capacity", "write_capacity")
    };
    let (rcu, wcu) = (r.num(rcu_key), r.num(wcu_key));
    // CloudFormation's and Terraform's default billing mode is PROVISIONED; SAM's SimpleTable
    // without ProvisionedThroughput is on demand.
    let simple = r.kind == "AWS::Serverless::SimpleTable";
    let on_demand = match r.text(mode_key) {
        Some(mode) => mode == "PAY_PER_REQUEST",
        None => simple && r.get("ProvisionedThroughput").is_none(),
    };
    if on_demand {
        let why = match r.text(mode_key) {
            Some(_) => format!("{mode_key} PAY_PER_REQUEST"),
            None => "a SimpleTable without ProvisionedThroughput is on demand".to_string(),
        };
        m.set("mode", string("on_demand"), why);
    } else {
        let why = match r.text(mode_key) {
            Some(mode) => format!("{mode_key} {mode}"),
            None => format!("no {mode_key}: PROVISIONED by default"),
        };
        m.set("mode", string("provisioned"), why);
        for (key, units, from) in [("rcu", rcu, rcu_key), ("wcu", wcu, wcu_key)] {
            match units {
                Some(u) if u > 0.0 => {
                    let u = clamp(u, 1.0, MAX_DYNAMODB_UNITS, from, m);
                    m.set(key, toml::Value::Float(u), from.to_string());
                }
                _ => m.ask(
                    key,
                    toml::Value::Float(5.0),
                    format!("{from} is not a literal in the template: set the table's provisioned units"),
                ),
            }
        }
    }
    let streams = if cf {
        r.get("StreamSpecification").is_some()
    } else {
        r.flag("stream_enabled") == Some(true)
    };
    if streams {
        m.set("streams", true, "its stream is on");
    }
    let lsi = ["LocalSecondaryIndexes", "local_secondary_index"]
        .iter()
        .any(|k| {
            r.get(k)
                .and_then(|v| v.as_array())
                .is_some_and(|a| !a.is_empty())
        });
    if lsi {
        m.set(
            "local_secondary_index",
            true,
            "it has a local secondary index",
        );
    }
    let gsi = ["GlobalSecondaryIndexes", "global_secondary_index"]
        .iter()
        .any(|k| {
            r.get(k)
                .and_then(|v| v.as_array())
                .is_some_and(|a| !a.is_empty())
        });
    if gsi {
        m.note(format!(
            "{}'s global secondary indexes are not simulated (their writes are not charged)",
            r.name
        ));
    }
}
