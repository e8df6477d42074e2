//! What `ebs` declares about itself: its keys, series, summary fields, columns and plot
//! panels, and its tie to the component whose instances have its volumes.

use super::config::{self, EbsConfig, MAX_EBS_IOS_PER_REQUEST, VOLUME_TYPES};
use super::{import, Disk, Volumes};
use crate::components::iac::{Downstream, Imports, ResourceMap};
use crate::components::kind::{
    Category, Column, DiagramSpec, EventInfo, Field, Key, KeyType, Kind, KindInfo, LatencySeries,
    Mark, PlotLine, PlotPanel, Relations, Series, Tone, Unit,
};
use crate::components::{BuildEnv, Component, Shared};
use crate::config::raw::RawComponentTable;
use crate::config::Checker;
use crate::metrics::Clock;
use std::cell::RefCell;
use std::rc::Rc;

pub(super) const BURST_BALANCE: Series = Series {
    id: "burst_balance_pct",
    unit: Unit::Percent,
    about: "the lowest burst-bucket balance of the volumes at each window's end, as CloudWatch's BurstBalance (gp2, st1, sc1)",
};
pub(super) const BURST_CREDITS: Series = Series {
    id: "burst_credits",
    unit: Unit::Number,
    about: "the credits left in the emptiest volume's burst bucket at each window's end: I/O credits (gp2) or MiB of throughput credits (st1, sc1)",
};
pub(super) const IOPS: Series = Series {
    id: "iops",
    unit: Unit::PerSecond,
    about: "I/Os the volumes dispatched, all volumes together",
};
pub(super) const IOPS_LIMIT: Series = Series {
    id: "iops_limit",
    unit: Unit::Number,
    about: "the IOPS the emptiest volume could dispatch at each window's end: its burst while it has credits, its baseline once they are spent [IOPS]",
};
pub(super) static IO_WAIT: LatencySeries = LatencySeries {
    p50: Series {
        id: "io_wait_p50_ms",
        unit: Unit::Milliseconds,
        about: "median time a request's I/Os waited for the volume's IOPS or throughput",
    },
    p95: Series {
        id: "io_wait_p95_ms",
        unit: Unit::Milliseconds,
        about: "95th percentile of the time a request's I/Os waited for the volume",
    },
    p99: Series {
        id: "io_wait_p99_ms",
        unit: Unit::Milliseconds,
        about: "99th percentile of the time a request's I/Os waited for the volume",
    },
};

impl Kind for EbsConfig {
    const WRITE_OPS: Option<crate::components::kind::WriteOps> =
        Some(crate::components::kind::WriteOps::shared("write_ops"));
    const INFO: &'static KindInfo = &KindInfo {
        name: "ebs",
        title: "Amazon EBS",
        noun: "an EBS volume",
        category: Category::BlockStorage,
        about: "a volume for each instance of a database or an Auto Scaling group (gp2 with its burst credits, gp3, io1, io2, st1, sc1): requests' I/Os wait when its IOPS or throughput run out; priced by the GB-month and, where the type bills them, the IOPS and throughput provisioned",
        keys: &[
            Key {
                name: "attached_to",
                ty: KeyType::Ids,
                required: true,
                about: "the component whose instances each have a volume like this one: an RDS database (its writer, Multi-AZ standby and read replicas, each with storage under RDS's rules for its engine; not Aurora, whose storage is not EBS) or an Auto Scaling group (each instance it launches)",
            },
            Key {
                name: "volume_type",
                ty: KeyType::Word(VOLUME_TYPES),
                required: true,
                about: "gp2 (3 IOPS/GiB, at least 100, at most 16,000; under 1 TiB bursts to 3,000 from a bucket of 5.4 million I/O credits refilled at the baseline), gp3 (3,000 IOPS and 125 MiB/s at any size, provisioned more), io1 (provisioned IOPS, 100 to 64,000, at most 50 per GiB), io2 (Block Express, provisioned IOPS up to 256,000, at most 1,000 per GiB, sub-millisecond), st1 and sc1 (HDD; throughput baseline and burst per TiB from a bucket of throughput credits; not on RDS, which stores on gp2, gp3, io1 and io2)",
            },
            Key {
                name: "size_gib",
                ty: KeyType::Integer {
                    min: 1,
                    max: 65_536,
                },
                required: true,
                about: "the volume's size [GiB]: gp2 and gp3 1 to 16,384, io1 4 to 16,384, io2 4 to 65,536, st1 and sc1 125 to 16,384; on RDS each instance's storage, gp2 and gp3 20 to 65,536 and io1 and io2 100 to 65,536 (16,384 on sqlserver), striped over four volumes from 400 GiB on mysql, mariadb and postgres and from 200 GiB on oracle (gp2: four volumes' baselines, bursts and credit buckets; gp3: a baseline of 12,000 IOPS and 500 MiB/s)",
            },
            Key {
                name: "iops",
                ty: KeyType::Integer {
                    min: 100,
                    max: 256_000,
                },
                required: false,
                about: "provisioned IOPS: gp3 3,000 to 16,000 and above 3,000 at most 500 per GiB (default 3,000); on RDS gp3 only where the storage is striped, 12,000 to 64,000 (default 12,000), or on sqlserver 3,000 to 16,000 and at least 0.5 per GiB, else its 3,000 baseline; io1 100 to 64,000 and at most 50 per GiB, io2 100 to 256,000 and at most 1,000 per GiB (required on both); refused on gp2, st1 and sc1, whose IOPS follow from their size",
            },
            Key {
                name: "throughput_mibps",
                ty: KeyType::Integer {
                    min: 125,
                    max: 4_000,
                },
                required: false,
                about: "gp3's provisioned throughput, 125 to 1,000 MiB/s and at most 0.25 MiB/s per provisioned IOPS (default 125); on RDS gp3 only where the storage is striped, 500 to 4,000 (default 500, and on mysql and mariadb at least one per 64 IOPS above 32,000), or on sqlserver 125 to 1,000, else its 125 baseline; the other types' follows from type, size and IOPS (gp2 128 MiB/s up to 170 GiB, 250 above, per striped volume on RDS; io1 500 MiB/s up to 32,000 IOPS, then 16 KiB per IOPS, 1,000 at 64,000; io2 4,000 MiB/s; st1 and sc1 per TiB)",
            },
            Key {
                name: "burst_credits",
                ty: KeyType::Number {
                    min: 0.0,
                    max: 16_777_216.0,
                },
                required: false,
                about: "the credits in each volume's burst bucket when it is attached: gp2 I/O credits, at most 5.4 million (on RDS storage striped over four volumes, their four buckets together: 21.6 million); st1 and sc1 MiB of throughput credits, at most one per MiB of the volume; fewer for a volume that was busy before the run (default: a full bucket, as a new volume has)",
            },
            Key {
                name: "ios_per_read",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_EBS_IOS_PER_REQUEST,
                },
                required: false,
                about: "I/Os a read request makes on its instance's volume, a choice to fit the workload (default 1)",
            },
            Key {
                name: "ios_per_write",
                ty: KeyType::Integer {
                    min: 1,
                    max: MAX_EBS_IOS_PER_REQUEST,
                },
                required: false,
                about: "I/Os a write request makes on its instance's volume, a choice to fit the workload (default 1)",
            },
            Key {
                name: "io_size_kib",
                ty: KeyType::Integer { min: 1, max: 1_024 },
                required: false,
                about: "the size of each I/O [KiB]; one larger than 256 KiB on SSD types counts as several I/Os, and on st1 and sc1 one of 1 MiB or less spends a whole MiB of throughput and credits, as on AWS (default 16, a choice: a database page)",
            },
            Key {
                name: "io_latency",
                ty: KeyType::TimeDist,
                required: false,
                about: "time from an I/O's dispatch to its completion (default: io2 lognormal median 0.3ms, p99 0.8ms, AWS's under 500 µs on average; a choice for the others: SSD median 0.6ms, p99 3ms; HDD median 5ms, p99 20ms)",
            },
            Key {
                name: "write_ops",
                ty: KeyType::Words,
                required: false,
                about: "the operations that are writes on an Auto Scaling group's instances (a database says which of its queries are writes itself) (default: write, put, update, delete)",
            },
        ],
        faults: &[],
        series: &[
            &BURST_BALANCE,
            &BURST_CREDITS,
            &IOPS,
            &IOPS_LIMIT,
            &IO_WAIT.p50,
            &IO_WAIT.p95,
            &IO_WAIT.p99,
        ],
        fields: &[
            Field {
                path: "ios",
                unit: Unit::Count,
                about: "I/Os dispatched in the measured period, all volumes together",
            },
            Field {
                path: "volumes",
                unit: Unit::Count,
                about: "volumes attached during the run, one per instance (an RDS instance's striped storage counts once)",
            },
            Field {
                path: "baseline_iops",
                unit: Unit::Number,
                about: "a volume's IOPS with its burst bucket empty (gp2: 3 per GiB, at least 100), an RDS instance's striped storage's four together [IOPS]",
            },
            Field {
                path: "peak_iops",
                unit: Unit::Number,
                about: "a volume's IOPS with credits (gp2 under 1 TiB: 3,000; on RDS striped under 4 TiB: 12,000), or its provisioned IOPS [IOPS]",
            },
            Field {
                path: "peak_mibps",
                unit: Unit::Number,
                about: "a volume's throughput with credits, or its provisioned throughput [MiB/s]",
            },
            Field {
                path: "io_wait_ms.*",
                unit: Unit::Milliseconds,
                about: "time a request's I/Os waited for the volume's IOPS or throughput (count, mean, p50 … p999, max)",
            },
            Field {
                path: "burst_spent_at_s",
                unit: Unit::Seconds,
                about: "when the first volume's burst bucket ran dry, from the start of the run (absent if none did)",
            },
            Field {
                path: "io_wait_with_credits_mean_ms",
                unit: Unit::Milliseconds,
                about: "mean I/O wait of requests whose volume had never run out of credits",
            },
            Field {
                path: "io_wait_after_spent_mean_ms",
                unit: Unit::Milliseconds,
                about: "mean I/O wait of requests whose volume had run out of credits (absent if none did)",
            },
            Field {
                path: "burst_balance_min_pct",
                unit: Unit::Percent,
                about: "the lowest burst-bucket balance of any volume at a window's end [%]",
            },
            Field {
                path: "volume_hours",
                unit: Unit::Number,
                about: "hours the volumes were attached in the measured period, every instance's",
            },
            Field {
                path: "monthly_usd_per_volume",
                unit: Unit::Usd,
                about: "one volume's price for a month of 730 hours: its GB-months, and the IOPS and throughput provisioned where its type bills them (us-east-1, from third-party copies of AWS's pricing page)",
            },
            Field {
                path: "cost_usd",
                unit: Unit::Usd,
                about: "the volumes' price for the measured period, prorated by the second while attached",
            },
            crate::components::kind::LATE_REPLIES,
        ],
        columns: &[
            Column {
                label: "mean I/O wait",
                field: "io_wait_ms.mean",
                unit: Unit::Milliseconds,
            },
            Column {
                label: "credits spent at",
                field: "burst_spent_at_s",
                unit: Unit::Seconds,
            },
            Column {
                label: "lowest burst balance",
                field: "burst_balance_min_pct",
                unit: Unit::Percent,
            },
            Column {
                label: "baseline IOPS",
                field: "baseline_iops",
                unit: Unit::Number,
            },
            crate::components::kind::COST_COLUMN,
        ],
        panels: &[
            // Credits rather than BurstBalance's percent: a bucket that starts partly spent
            // (`burst_credits`) would be a line along the bottom of a percent axis.
            PlotPanel {
                axis: "burst credits left",
                lines: &[PlotLine {
                    series: &BURST_CREDITS,
                    label: "emptiest volume",
                    tone: Tone::Good,
                    scale: 1.0,
                }],
                y_max: None,
            },
            PlotPanel {
                axis: "I/Os per second",
                lines: &[
                    PlotLine {
                        series: &IOPS,
                        label: "dispatched",
                        tone: Tone::Load,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &IOPS_LIMIT,
                        label: "limit",
                        tone: Tone::Limit,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
            PlotPanel {
                axis: "I/O wait [ms]",
                lines: &[
                    PlotLine {
                        series: &IO_WAIT.p50,
                        label: "p50",
                        tone: Tone::Queue,
                        scale: 1.0,
                    },
                    PlotLine {
                        series: &IO_WAIT.p99,
                        label: "p99",
                        tone: Tone::Bad,
                        scale: 1.0,
                    },
                ],
                y_max: None,
            },
        ],
        events: &[
            EventInfo {
                event: "burst_credits_spent",
                mark: Mark::Instant,
            },
            EventInfo {
                event: "volume_credits_spent",
                mark: Mark::Hidden,
            },
        ],
    };

    const IMPORTS: &'static Imports = &Imports {
        maps: &[
            ResourceMap {
                cloudformation: &["AWS::EC2::Volume"],
                terraform: &["aws_ebs_volume"],
                map: import::import_volume,
            },
            ResourceMap {
                cloudformation: &["AWS::EC2::VolumeAttachment"],
                terraform: &["aws_volume_attachment"],
                map: import::import_attachment,
            },
        ],
        // Each instance of a group has the volume its launch template maps.
        companions: &[ResourceMap {
            cloudformation: &["AWS::AutoScaling::AutoScalingGroup"],
            terraform: &["aws_autoscaling_group"],
            map: import::import_group_volume,
        }],
        downstream: Downstream::None,
    };

    fn parse(table: RawComponentTable<'_>, ck: &mut Checker) -> Option<Self> {
        config::parse(table, ck)
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lines()
    }

    /// Beside its host, in the host's zones: a volume attaches only to an instance in its
    /// own Availability Zone, and serves that instance alone. (A database's standby and
    /// replicas have volumes of their own in their zones, which this one box stands for too.)
    fn diagram(&self) -> DiagramSpec {
        DiagramSpec {
            lines: self.lines(),
            satellites: Vec::new(),
            part_of: Some((self.host, "attached")),
        }
    }

    fn build(&self, _index: usize, env: BuildEnv, shared: &Shared) -> Box<dyn Component> {
        let disk = shared.volumes[self.host]
            .clone()
            .expect("the host's volumes are made from this component");
        Box::new(super::Ebs::new(env, disk))
    }

    /// Its host must be a component whose instances take EBS volumes, with no other `ebs`
    /// attached.
    fn relate(&mut self, me: usize, rel: &mut Relations, ck: &mut Checker) -> bool {
        let host = &rel.ids[self.host];
        let Some(rules) = rel.volume_hosts[self.host] else {
            ck.error(
                self.host_span.clone(),
                format!("\"{host}\" has no EBS volumes: `attached_to` names an RDS database (not Aurora, whose storage is its own) or an Auto Scaling group"),
            );
            return false;
        };
        if let Some(first) = rel.volumes[self.host] {
            ck.error(
                self.host_span.clone(),
                format!(
                    "\"{host}\" already has its volumes from \"{}\"; each instance has one volume here",
                    rel.ids[first]
                ),
            );
            return false;
        }
        rel.volumes[self.host] = Some(me);
        // Its size, IOPS and throughput follow the host's rules.
        self.settle(rules, ck)
    }

    /// Its volumes are reached through their host, not called.
    fn answers_calls(&self) -> bool {
        false
    }

    fn disk(&self, clock: &Clock) -> Option<(usize, Disk)> {
        let v = Volumes::new(self, *clock);
        Some((self.host, Rc::new(RefCell::new(v))))
    }
}
