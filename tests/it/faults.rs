//! The fault timeline: zone outages, components down, latency and error injection, on a
//! component or an edge, each switched on and off at its time and written to events.csv.

use crate::num;
use archsim::world::World;

/// web (zone a) → db (zone b) with a 500 ms call timeout; every figure exact.
fn base(more: &str) -> String {
    crate::web_and_db("", "500ms", more)
}

fn with_fault(fault: &str) -> archsim::metrics::Summary {
    crate::run(&base(&format!("[[fault]]\n{fault}\n")))
}

#[test]
fn a_zone_outage_makes_its_components_unreachable_for_its_duration() {
    // Zone b (the db) is out from 20 s for 10 s: the web tier's calls vanish and time out
    // after 500 ms (504 to the client). Requests arriving from 19.5 s on wait into the
    // outage; those from 30 s on are fine again. Arrivals at 0.01 s steps: 1,000 in 10 s,
    // plus the 50 that arrived in the half-second before, whose calls reached the db after
    // 10 ms of web work, i.e. inside the outage.
    let s = with_fault("at = \"20s\"\nfor = \"10s\"\nkind = \"az_outage\"\naz = \"b\"");
    let failed = num(&s, "requests.by_status.504");
    assert!((failed - 1_000.0).abs() <= 2.0, "{failed}");
    assert_eq!(num(&s, "requests.total"), 5_999.0);
}

#[test]
fn a_component_down_without_timeouts_leaves_its_callers_hanging() {
    // No timeouts anywhere: calls into the dead component never end, so the web tier's
    // servers (100 of them) fill up with stuck requests and its queue grows.
    let s = crate::run(
        r#"
        [scenario]
        duration = "30s"
        [[workload]]
        name = "u"
        target = "web"
        arrival = { process = "constant", rate = 100 }
        [[component]]
        id = "web"
        kind = "service"
        servers = 100
        queue = 100
        service_time = "10ms"
        calls = [ { to = "db" } ]
        [[component]]
        id = "db"
        kind = "service"
        servers = 100
        service_time = "5ms"
        [[fault]]
        at = "10s"
        kind = "component_down"
        target = "db"
    "#,
    );
    // From 10 s on, every request sticks: 100 fill the servers, 100 the queue, the rest are
    // refused with 503: 2,000 arrivals after the fault, 200 held, 1,800 refused (±2 for the
    // requests in flight at 10 s).
    let refused = num(&s, "requests.by_status.503");
    assert!((refused - 1_800.0).abs() <= 3.0, "{refused}");
    assert!(
        num(&s, "kernel.drained_at_s") <= 30.5,
        "stuck calls do not keep the run alive"
    );
}

#[test]
fn error_injection_fails_its_share_of_calls() {
    // 30 % of calls to the db fail with 503 for the whole run; the web tier passes them up.
    // 5,999 requests: binomial sd 35, so 4 sd is 140.
    let s = with_fault(
        "at = \"0s\"\nkind = \"error_injection\"\ntarget = \"db\"\nrate = 0.3\nstatus = 503",
    );
    let n = num(&s, "requests.by_status.503");
    assert!((n - 0.3 * 5_999.0).abs() < 140.0, "{n}");
    // The others reached the db (but for the last request, whose call reached it just after
    // the end of the run and so is not counted there).
    assert_eq!(num(&s, "components.db.arrivals") + n, 5_998.0);
}

#[test]
fn latency_injection_on_a_component_and_on_an_edge() {
    // Baseline: 10 ms of web work + 5 ms of db work = 15 ms for every request.
    let base = crate::run(&base(""));
    assert!((num(&base, "latency_ms.max") - 15.0).abs() < 1e-6);
    // The db answers 100 ms later during the whole run: 115 ms.
    let slow =
        with_fault("at = \"0s\"\nkind = \"latency_injection\"\ntarget = \"db\"\nadd = \"100ms\"");
    assert!((num(&slow, "latency_ms.mean") - 115.0).abs() < 1e-6);
    // 40 ms each way on the web → db edge: 95 ms.
    let edge = with_fault(
        "at = \"0s\"\nkind = \"latency_injection\"\nfrom = \"web\"\nto = \"db\"\nadd = \"40ms\"",
    );
    assert!((num(&edge, "latency_ms.mean") - 95.0).abs() < 1e-6);
}

#[test]
fn faults_are_written_to_events_with_their_start_and_end() {
    let sc = crate::scenario(&base(
        "[[fault]]\nat = \"5s\"\nfor = \"2s\"\nkind = \"component_down\"\ntarget = \"db\"\n",
    ));
    let r = World::build(&sc, 1).run().unwrap();
    let marks: Vec<(f64, &str, &str)> = r
        .events
        .iter()
        .filter(|e| e.actor == "faults")
        .map(|e| (e.time.as_secs_f64(), e.event.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        marks,
        vec![
            (5.0, "fault_start", "db down"),
            (7.0, "fault_end", "db down")
        ]
    );
}

/// A group calling a cache in front of a database with two read replicas, each with `keys`
/// of its own (the group's, the cache's, the database's), and `more` appended.
fn zonal(group: &str, cache: &str, db: &str, more: &str) -> String {
    format!(
        r#"[scenario]
duration = "60s"
[[workload]]
name = "u"
target = "web"
arrival = {{ process = "constant", rate = 10 }}
[[component]]
id = "web"
kind = "ec2_autoscaling"
instance_type = "m5.large"
work = "5ms"
calls = [ {{ to = "cache" }} ]
{group}
[[component]]
id = "cache"
kind = "cache"
engine = "redis"
backend = "db"
{cache}
[[component]]
id = "db"
kind = "rds"
az = "a"
instance_class = "db.m5.large"
read_time = "1ms"
write_time = "2ms"
read_replicas = 2
{db}
{more}"#
    )
}

use crate::located_warnings as warnings;

#[test]
fn a_zonal_part_in_no_zone_is_warned_of_when_a_zone_fails() {
    // The group has no `zones`, the cache no `az`, the database's replicas no
    // `replica_zones`: an outage of zone a reaches none of them, which is said at each
    // component's id with the key that would place it.
    let outage = "[[fault]]\nat = \"10s\"\nkind = \"az_outage\"\naz = \"a\"";
    let said = warnings(&zonal("", "", "", outage));
    assert_eq!(
        said,
        [
            "8:6 the instances of \"web\" are in no zone, so the az_outage of zone \"a\" never reaches them: set `zones` to place them in a zone",
            "15:6 the primary of \"cache\" is in no zone, so the az_outage of zone \"a\" never reaches it: set `az` to place it in a zone",
            "21:6 the 2 read replicas of \"db\" are in no zone, so the az_outage of zone \"a\" never reaches them: set `replica_zones` to place them in a zone",
        ],
        "{said:#?}"
    );
    // Placed, nothing is said.
    let placed = zonal(
        "zones = [\"a\", \"b\"]",
        "az = \"b\"",
        "replica_zones = [\"b\"]",
        outage,
    );
    assert!(warnings(&placed).is_empty(), "{:?}", warnings(&placed));
    // Nor without a zone's outage: being in no zone changes nothing else.
    assert!(warnings(&zonal("", "", "", "")).is_empty());
    // Nor for a part in another region than the zone that fails: no `az` of its region
    // would bring zone a's outage to it.
    let west = zonal(
        "zones = [\"a\", \"b\"]",
        "region = \"us-west-2\"",
        "replica_zones = [\"b\"]",
        outage,
    );
    assert!(warnings(&west).is_empty(), "{:?}", warnings(&west));
    // A writer in no zone is said too.
    let writer = zonal(
        "zones = [\"a\"]",
        "az = \"a\"",
        "replica_zones = [\"b\"]",
        outage,
    )
    .replace("az = \"a\"\ninstance_class", "instance_class");
    let said = warnings(&writer);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("the writer of \"db\" is in no zone") && said[0].contains("`az`"));
}
