use super::layout::{crossings, layout, Rect};
use super::model::{Model, Place};
use std::path::Path;

fn scenario(body: &str) -> crate::scenario::Scenario {
    let text = format!(
        "[scenario]\nname = \"t\"\nduration = \"1m\"\n[[workload]]\nname = \"users\"\ntarget = \"front\"\narrival = {{ process = \"poisson\", rate = 1000 }}\n{body}"
    );
    crate::scenario::parse(Path::new("t.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

fn node(m: &Model, key: &str) -> usize {
    m.nodes.iter().position(|n| n.key == key).unwrap()
}

const ZONED: &str = r#"
[[component]]
id = "front"
kind = "service"
service_time = "1ms"
calls = [ { to = "left", timeout = "1s" }, { to = "right", timeout = "1s" } ]
[[component]]
id = "right"
kind = "service"
service_time = "1ms"
az = "a"
calls = [ { to = "d2" } ]
[[component]]
id = "left"
kind = "service"
service_time = "1ms"
az = "a"
calls = [ { to = "d1" } ]
[[component]]
id = "d1"
kind = "service"
service_time = "1ms"
az = "a"
[[component]]
id = "d2"
kind = "service"
service_time = "1ms"
az = "a"
"#;

#[test]
fn crossings_are_counted_and_sweeps_remove_them() {
    // Two edges a→d, b→c with a above b and c above d cross once; a third edge a→c beside
    // them crosses b→... nothing more: (a,c) and (b,c) share c.
    let pos = [0.0, 1.0, 0.0, 1.0];
    let col = [0, 0, 1, 1];
    assert_eq!(crossings(&pos, &col, &[(0, 3), (1, 2)]), 1);
    assert_eq!(crossings(&pos, &col, &[(0, 2), (1, 3)]), 0);
    assert_eq!(crossings(&pos, &col, &[(0, 3), (1, 2), (0, 2)]), 1);
    // As written, left and right are in one order and d1, d2 in the other: the layout
    // orders one column by the other, so the two calls do not cross.
    let sc = scenario(ZONED);
    let m = Model::of(&sc);
    let l = layout(&m);
    let y = |k: &str| l.boxes[node(&m, k)].cy();
    assert_eq!(
        y("left") < y("right"),
        y("d1") < y("d2"),
        "left→d1 and right→d2 cross: {:?}",
        l.boxes
    );
}

#[test]
fn parallel_calls_merge_into_one_edge_with_one_label() {
    let sc = scenario(
        r#"
[[component]]
id = "front"
kind = "service"
service_time = "1ms"
calls = [ { to = "a", timeout = "350ms" }, { to = "a", timeout = "350ms" }, { to = "a", timeout = "350ms" }, { to = "b", timeout = "2s" }, { to = "c", timeout = "2s" } ]
[[component]]
id = "a"
kind = "service"
service_time = "1ms"
[[component]]
id = "b"
kind = "service"
service_time = "1ms"
[[component]]
id = "c"
kind = "service"
service_time = "1ms"
"#,
    );
    let m = Model::of(&sc);
    let front = node(&m, "front");
    let to_a: Vec<_> = m
        .edges
        .iter()
        .filter(|e| e.from == front && e.to == node(&m, "a"))
        .collect();
    assert_eq!(to_a.len(), 1, "{:?}", m.edges);
    assert_eq!(to_a[0].count, 3);
    assert_eq!(to_a[0].label, "×3, timeout 350 ms");
    // b and c: two calls saying the same, one label between them.
    let (b, c) = (node(&m, "b"), node(&m, "c"));
    let eb = m.edges.iter().find(|e| e.to == b).unwrap();
    let ec = m.edges.iter().find(|e| e.to == c).unwrap();
    assert_eq!(eb.group, ec.group);
    let l = layout(&m);
    let shown = l
        .edges
        .iter()
        .filter_map(|(_, lb)| lb.as_ref())
        .filter(|lb| lb.text == "timeout 2 s each")
        .count();
    assert_eq!(shown, 1, "{:?}", l.edges);
}

const GROUP: &str = r#"
[[component]]
id = "front"
kind = "load_balancer"
targets = "api"
[[component]]
id = "api"
kind = "ec2_autoscaling"
instance_type = "c6i.large"
zones = ["a", "b"]
min = 2
max = 2
work = "2ms"
calls = [ { to = "db", timeout = "3s" } ]
[[component]]
id = "db"
kind = "rds"
az = "a"
instance_class = "db.r5.large"
read_time = "1ms"
write_time = "2ms"
multi_az = true
read_replicas = 1
"#;

fn zone_rect(l: &super::layout::Layout, m: &Model, z: &str) -> Rect {
    l.zones[m.zones.iter().position(|x| x == z).unwrap()].0
}

#[test]
fn a_group_over_two_zones_covers_both_and_its_balancer_too() {
    let sc = scenario(GROUP);
    let m = Model::of(&sc);
    assert_eq!(m.zones, ["a", "b"]);
    let l = layout(&m);
    let (a, b) = (zone_rect(&l, &m, "a"), zone_rect(&l, &m, "b"));
    for key in ["api", "front"] {
        let i = node(&m, key);
        assert_eq!(m.nodes[i].place, Place::Span(0, 1), "{key}");
        let r = l.boxes[i];
        // It starts inside zone a's container and ends inside zone b's.
        assert!(r.y > a.y && r.y < a.bottom(), "{key} {r:?} {a:?}");
        assert!(
            r.bottom() > b.y && r.bottom() < b.bottom(),
            "{key} {r:?} {b:?}"
        );
        assert!(r.x > a.x && r.right() < a.right());
        assert!(l.region.contains(&r));
    }
}

#[test]
fn a_multi_az_standby_sits_in_the_other_zone_and_a_replica_beside() {
    let sc = scenario(GROUP);
    let m = Model::of(&sc);
    let l = layout(&m);
    let db = node(&m, "db");
    let standby = m
        .nodes
        .iter()
        .position(|n| n.title == "standby")
        .expect("a standby node");
    let replica = m
        .nodes
        .iter()
        .position(|n| n.title == "read replica")
        .expect("a replica node");
    assert_eq!(m.nodes[db].place, Place::Zone(0));
    assert_eq!(m.nodes[standby].place, Place::Zone(1));
    assert_eq!(m.nodes[standby].satellite, Some((db, "sync replication")));
    assert_eq!(m.nodes[replica].place, Place::Zone(0));
    assert_eq!(m.nodes[replica].satellite, Some((db, "async")));
    assert!(zone_rect(&l, &m, "b").contains(&l.boxes[standby]));
    assert!(zone_rect(&l, &m, "a").contains(&l.boxes[replica]));
    assert!(zone_rect(&l, &m, "a").contains(&l.boxes[db]));
    // Joined by a line, labelled once each.
    let labels: Vec<&str> = l
        .links
        .iter()
        .filter_map(|(_, _, lb)| lb.as_ref().map(|lb| lb.text.as_str()))
        .collect();
    assert_eq!(labels, ["sync replication", "async"]);
    // A single-zone database's standby goes to a zone of its own.
    let alone = scenario(
        r#"
[[component]]
id = "front"
kind = "rds"
az = "a"
instance_class = "db.r5.large"
read_time = "1ms"
write_time = "2ms"
multi_az = true
"#,
    );
    let m = Model::of(&alone);
    assert_eq!(m.zones, ["a", "b"]);
}
