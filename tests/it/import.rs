//! `archsim import` on the corpus of templates in `tests/import/` (written for these tests in
//! the shapes of the common public examples): every template imports into a scenario that parses, runs and matches its golden
//! snapshot; the wiring a template states becomes the calls it implies, and a malformed
//! template is refused with a located message.

use crate::{num, run, scenario};
use archsim::import::{import, Format};
use std::path::Path;

/// The text of a corpus file (a path below `tests/import/`).
fn corpus_text(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/import")
        .join(rel);
    std::fs::read_to_string(&path).unwrap()
}

/// Imports a corpus file (a path below `tests/import/`), panicking with the error.
fn imported(rel: &str) -> archsim::import::Imported {
    import(rel, &corpus_text(rel)).unwrap_or_else(|e| panic!("{rel} does not import: {e}"))
}

/// Every corpus file, with its expected format.
const CORPUS: &[(&str, Format)] = &[
    ("templates/orders-api.yaml", Format::CloudFormationYaml),
    ("templates/queue-worker.yaml", Format::CloudFormationYaml),
    ("templates/rest-api-lambda.yaml", Format::CloudFormationYaml),
    ("templates/web-asg.yaml", Format::CloudFormationYaml),
    ("templates/mysql-replica.json", Format::CloudFormationJson),
    (
        "templates/queue-optional-dlq.json",
        Format::CloudFormationJson,
    ),
    ("templates/catalog-cache.yaml", Format::CloudFormationYaml),
    ("templates/order-fanout.yaml", Format::CloudFormationYaml),
    ("templates/order-workflow.yaml", Format::CloudFormationYaml),
    ("terraform/orders-plan.json", Format::TerraformPlan),
    ("terraform/fulfil-plan.json", Format::TerraformPlan),
    ("templates/iam-granted.yaml", Format::CloudFormationYaml),
    (
        "templates/iam-missing-write.yaml",
        Format::CloudFormationYaml,
    ),
    ("terraform/iam-plan.json", Format::TerraformPlan),
    ("templates/web-volumes.yaml", Format::CloudFormationYaml),
    ("templates/workflow-roles.yaml", Format::CloudFormationYaml),
    ("terraform/volumes-roles-plan.json", Format::TerraformPlan),
    (
        "templates/rest-api-methods.yaml",
        Format::CloudFormationYaml,
    ),
    ("templates/http-api-routes.yaml", Format::CloudFormationYaml),
    ("terraform/routes-plan.json", Format::TerraformPlan),
];

#[test]
fn each_corpus_template_imports_into_a_scenario_that_runs() {
    for (rel, format) in CORPUS {
        let out = imported(rel);
        assert_eq!(out.format, *format, "{rel}");
        let snapshot = format!(
            "import__{}",
            Path::new(rel).file_stem().unwrap().to_str().unwrap()
        );
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(snapshot.as_str(), out.scenario);
        });
        // The scenario as imported runs: its traffic (10 requests/s for 2 minutes, Poisson)
        // arrives, about 1,200 requests per workload; ±20 % is over six standard deviations
        // (√1,200 ≈ 35).
        let s = run(&out.scenario);
        let workloads = scenario(&out.scenario).workloads.len() as f64;
        let total = num(&s, "requests.total");
        assert!(
            (total - 1_200.0 * workloads).abs() < 240.0 * workloads,
            "{rel}: {total} requests"
        );
        assert!(
            !out.asks.is_empty(),
            "{rel}: the traffic is always a starting value"
        );
    }
}

#[test]
fn an_api_event_invokes_the_function_and_its_policy_names_the_table() {
    // The SAM pattern: a function with an `Api` event, a DynamoDBCrudPolicy on the table and
    // the table's name in its environment.
    // SAM adds the implicit ServerlessRestApi; the policy implies the call to the table. Each
    // request passes the API to the function, which calls the table once.
    let out = imported("templates/orders-api.yaml");
    let sc = &out.scenario;
    assert!(sc.contains("kind = \"api_gateway\"  # AWS::Serverless::Api ServerlessRestApi"));
    assert!(sc.contains("target = \"LambdaFunction\""));
    assert!(sc.contains("{ to = \"DynamoDBTable\" },  # assumed from configuration"));
    let s = run(sc);
    let api = num(&s, "components.ServerlessRestApi.requests");
    let invocations = num(&s, "components.LambdaFunction.invocations");
    let table = num(&s, "components.DynamoDBTable.requests");
    // Every request the gateway admits invokes the function, which calls the table once.
    // Counts stop at the end of the run's 2 minutes, and the function's work is 20 ms at one
    // vCPU, about 1,769 / 128 ≈ 14 times longer at SAM's default 128 MB (≈ 280 ms median,
    // ≈ 1.4 s at p99): the requests of the last 1.4 s, about 14 at 10/s, may end (or reach
    // the table) after the counts stop. So both are at most the gateway's, and within 25.
    for (what, n) in [("invocations", invocations), ("table requests", table)] {
        assert!(n <= api && api - n <= 25.0, "{what} {n}, gateway {api}");
    }
    // SimpleTable without ProvisionedThroughput is on demand: nothing throttles at 10/s.
    assert_eq!(num(&s, "components.DynamoDBTable.throttles"), 0.0);
}

#[test]
fn an_sqs_event_becomes_the_queues_consumer_with_its_batch_size() {
    let out = imported("templates/queue-worker.yaml");
    assert!(out
        .scenario
        .contains("consumer = { batch_size = 10, to = \"QueueConsumerFunction\" }"));
    // nodejs24.x is newer than archsim's figures: its language's cold start, said so.
    assert!(out
        .scenario
        .contains("runtime = \"nodejs\"  # Runtime nodejs24.x"));
    // The queue is the entry: every message sent is delivered to the function in batches,
    // so after the run drains the function has seen every one.
    let s = run(&out.scenario);
    let sent = num(&s, "components.MySqsQueue.by_status.200");
    assert!(sent > 1_000.0, "{sent}");
    assert!(num(&s, "components.QueueConsumerFunction.invocations") > 0.0);
    // Nothing the messages reach tells a write from a read: no mix to set, and said so.
    assert!(!out.scenario.contains("mix = "), "{}", out.scenario);
    assert!(
        out.asks
            .iter()
            .any(|a| a.contains("mix (none: nothing its requests reach tells writes from reads)")),
        "{:?}",
        out.asks
    );
    // Where they reach one (a group whose instances carry volumes), the mix is asked for.
    let volumes = imported("templates/web-volumes.yaml");
    assert!(
        volumes
            .scenario
            .contains("mix = [{ op = \"read\", weight = 9 }, { op = \"write\", weight = 1 }]"),
        "{}",
        volumes.scenario
    );
}

#[test]
fn an_sqs_sources_concurrency_window_and_item_failures_are_the_consumers() {
    // A SAM SQS event and an AWS::Lambda::EventSourceMapping, each with ScalingConfig's
    // MaximumConcurrency, MaximumBatchingWindowInSeconds and FunctionResponseTypes: each is
    // the queue's consumer key of the same meaning (aws-facts §16).
    let out = imported("templates/queue-scaling.yaml");
    let sc = &out.scenario;
    assert!(
        sc.contains("consumer = { batch_size = 10, batching_window = \"0s\", function_response_types = [\"ReportBatchItemFailures\"], maximum_concurrency = 2, to = \"Worker\" }"),
        "{sc}"
    );
    assert!(
        sc.contains("consumer = { batch_size = 20, batching_window = \"5s\", function_response_types = [\"ReportBatchItemFailures\"], maximum_concurrency = 5, to = \"Packer\" }"),
        "{sc}"
    );
    // The run takes them. Worker's reserved concurrency is 2, its event's cap too: at most
    // two batches at once, none throttled, so no batch returns to the queue and nothing
    // reaches the dead-letter queue. (Without the cap the pollers start at 5 batches and the
    // third batch at once is throttled: shown below.)
    let s = run(sc);
    assert!(num(&s, "components.Jobs.concurrent_batches_max") <= 2.0);
    assert_eq!(num(&s, "components.Worker.throttles"), 0.0);
    assert_eq!(num(&s, "components.Jobs.moved_to_dead_letter"), 0.0);
    // Orders' pollers gather up to 20 messages for up to 5 s: at 10 messages a second a batch
    // fills in about 2 s, about 60 batches in the 2 minutes (more, smaller ones when several
    // pollers gather at once: within twice that). Without the window nearly each of the
    // ~1,200 messages is a batch of its own: shown below.
    let batches = num(&s, "components.Orders.batches");
    assert!(batches > 0.0 && batches < 120.0, "{batches}");
    assert!(num(&s, "components.Orders.concurrent_batches_max") <= 5.0);
    // What the two settings change, shown: without the cap the function throttles, and
    // without the window (and so batches of at most 10, as Lambda requires) Orders'
    // batches are many times more.
    let loose = sc.replace("maximum_concurrency = 2, ", "").replace(
        "batch_size = 20, batching_window = \"5s\", ",
        "batch_size = 10, ",
    );
    assert_ne!(&loose, sc);
    let l = run(&loose);
    assert!(num(&l, "components.Worker.throttles") > 0.0);
    assert!(num(&l, "components.Orders.batches") > 4.0 * batches);
}

#[test]
fn a_plans_event_source_mapping_keeps_its_concurrency_window_and_item_failures() {
    // `scaling_config` (a block: a list of one object in the plan), `function_response_types`
    // and `maximum_batching_window_in_seconds` are the consumer's keys.
    let out = imported("terraform/queue-scaling-plan.json");
    let sc = &out.scenario;
    assert!(
        sc.contains("consumer = { batch_size = 10, batching_window = \"1s\", function_response_types = [\"ReportBatchItemFailures\"], maximum_concurrency = 2, to = \"aws_lambda_function-worker\" }"),
        "{sc}"
    );
    // The run takes them: at most 2 batches at once, within the function's reserved 2.
    let s = run(sc);
    assert!(num(&s, "components.aws_sqs_queue-jobs.concurrent_batches_max") <= 2.0);
    assert_eq!(
        num(&s, "components.aws_lambda_function-worker.throttles"),
        0.0
    );
}

#[test]
fn a_sam_events_timeout_is_its_apis_integration_timeout() {
    // SAM writes an Api or HttpApi event's TimeoutInMillis on the integration it makes in the
    // API: the implicit REST API's, the implicit HTTP API's, or the one the event names.
    let out = imported("templates/api-event-timeouts.yaml");
    let sc = &out.scenario;
    for (api, timeout) in [
        ("ServerlessRestApi", "12s"),
        ("ServerlessHttpApi", "8s"),
        ("AdminApi", "5s"),
    ] {
        let table = sc
            .split("[[component]]")
            .find(|c| c.contains(&format!("id = \"{api}\"")))
            .unwrap_or_else(|| panic!("no {api} in {sc}"));
        assert!(
            table.contains(&format!(
                "integration_timeout = \"{timeout}\"  # TimeoutInMillis"
            )),
            "{api}: {table}"
        );
    }
    // The run takes it: Report's handler made 15 s (at its 1,769 MB, one vCPU) outlasts the
    // 12 s timeout, so every request its API answers is a 504; at the 29 s default every
    // one would be a 200.
    let start = sc.find("id = \"Report\"").unwrap();
    let work = start + sc[start..].find("work = {").unwrap();
    let end = work + sc[work..].find('\n').unwrap();
    let slow = format!("{}work = \"15s\"{}", &sc[..work], &sc[end..]);
    let s = run(&slow);
    let answered = num(&s, "components.ServerlessRestApi.requests");
    assert!(answered > 1_000.0, "{answered}");
    assert_eq!(
        num(&s, "components.ServerlessRestApi.integration_timeouts"),
        answered
    );
    assert_eq!(
        num(&s, "components.ServerlessRestApi.by_status.504"),
        answered
    );
}

#[test]
fn each_api_event_to_another_function_is_a_route_with_its_own_target() {
    // aws-facts: §1: each route of an API has its own integration. The GET goes to a
    // function allowed only to read the table, the POST to one allowed to write it: the
    // writes must reach the second, or the first's role denies them (502s the stack does not
    // have).
    let out = imported("templates/two-function-api.yaml");
    let sc = &out.scenario;
    assert!(sc.contains("target = \"GetOrderFunction\""), "{sc}");
    assert!(
        sc.contains("{ op = \"write\", target = \"CreateOrderFunction\" },  # POST /orders: SAM event CreateOrder"),
        "{sc}"
    );
    assert!(
        !out.notes.iter().any(|n| n.contains("is not written")),
        "{:?}",
        out.notes
    );
    // The workload reaches every route, and says so among the starting values.
    assert!(
        sc.contains("mix = [{ op = \"read\", weight = 9 }, { op = \"write\", weight = 1 }]"),
        "{sc}"
    );
    assert!(
        out.asks
            .iter()
            .any(|a| a.contains("read 9 → GetOrderFunction")
                && a.contains("write 1 → CreateOrderFunction")),
        "{:?}",
        out.asks
    );
    let s = run(sc);
    assert!(
        s["requests"]["by_status"].get("502").is_none(),
        "{}",
        s["requests"]["by_status"]
    );
    assert_eq!(num(&s, "requests.by_status.200"), num(&s, "requests.total"));
    let reads = num(&s, "components.GetOrderFunction.invocations");
    let writes = num(&s, "components.CreateOrderFunction.invocations");
    assert!(
        reads > 900.0 && writes > 60.0,
        "{reads} reads, {writes} writes"
    );
}

#[test]
fn a_routes_write_named_after_its_path_is_charged_as_a_write_by_the_table() {
    // Two writes to one function, POST /orders and DELETE /orders/{id}: each route's
    // requests carry an operation named after it, which the table must count as a write
    // (aws-facts: §7 capacity units: a write costs write units), not as the read an
    // operation its `writes` does not list is.
    let out = imported("templates/three-route-api.yaml");
    let sc = &out.scenario;
    assert!(
        sc.contains("writes = [\"write\", \"put\", \"update\", \"delete\", \"post /orders\", \"delete /orders/{id}\"]"),
        "{sc}"
    );
    // The database behind the function too, under its own key.
    assert!(
        sc.contains("write_ops = [\"write\", \"put\", \"update\", \"delete\", \"post /orders\", \"delete /orders/{id}\"]"),
        "{sc}"
    );
    assert!(
        out.notes
            .iter()
            .any(|n| n
                .contains("the `writes` of OrdersTable, the `write_ops` of OrdersDb list them")),
        "{:?}",
        out.notes
    );
    // A bucket keeps its own default writes (copy and post are S3's), the routes' beside them.
    let bucket = imported("templates/three-route-bucket.yaml");
    assert!(
        bucket.scenario.contains("writes = [\"write\", \"put\", \"copy\", \"post\", \"delete\", \"post /orders\", \"delete /orders/{id}\"]"),
        "{}",
        bucket.scenario
    );
    let s = run(sc);
    assert_eq!(num(&s, "requests.by_status.200"), num(&s, "requests.total"));
    // Reads 9 : each write 1; a write of an item under 1 KB costs one write unit.
    let reads = num(&s, "components.OrdersTable.read_units_consumed");
    let writes = num(&s, "components.OrdersTable.write_units_consumed");
    let written = num(&s, "components.WriteOrderFunction.invocations");
    assert!(
        written > 0.0 && writes >= written,
        "{writes} units for {written} writes"
    );
    assert!(
        reads > 2.0 * writes,
        "{reads} read units, {writes} write units"
    );
}

#[test]
fn a_method_integration_and_a_listener_give_their_edges() {
    // A REST API whose method's integration URI (!Sub …${LambdaFunction.Arn}…) names the
    // function, with its TimeoutInMillis.
    let out = imported("templates/rest-api-lambda.yaml");
    assert!(out.scenario.contains("target = \"LambdaFunction\""));
    assert!(out.scenario.contains("integration_timeout = \"29s\""));
    // Its role has no policy: written with no statement, IAM's implicit deny, which a
    // statement the user adds to allow a call overrides (an explicit deny would not).
    assert!(out.scenario.contains("role = \"LambdaRole\""));
    assert!(
        out.scenario.contains("statements = []  # "),
        "{}",
        out.scenario
    );
    assert!(
        !out.scenario.contains("effect = \"Deny\""),
        "{}",
        out.scenario
    );
    assert!(!out.unmapped.iter().any(|u| u.contains("AWS::IAM::Role")));
    // An ALB whose listener forwards to a target group the Auto Scaling group names, with
    // its launch template's type (t4g.micro, a parameter's default), which the catalogue has.
    let out = imported("templates/web-asg.yaml");
    assert!(out.scenario.contains("targets = \"WebServerGroup\""));
    assert!(out.scenario.contains("instance_type = \"t4g.micro\""));
    assert!(out.scenario.contains("min = 1") && out.scenario.contains("max = 3"));
    // Its target group's HealthCheckPath cannot say how deep the check goes: said.
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("health check asks /health")
                && n.contains("`health_check.path` is \"deep\"")),
        "{:?}",
        out.notes
    );
    // Its group and load balancer are in subnets whose zones the template does not give.
    assert!(
        out.notes.iter().any(|n| n
            .starts_with("LoadBalancer, WebServerGroup are placed in subnets")
            && n.contains("an `az_outage` takes none of them out")),
        "{:?}",
        out.notes
    );
}

#[test]
fn a_method_that_invokes_a_function_without_its_permission_is_noted() {
    // API Gateway may invoke a function only with a resource-based permission
    // (AWS::Lambda::Permission): without one each request would be answered 500.
    let rel = "templates/rest-api-lambda.yaml";
    let no_permission = |out: &archsim::import::Imported| {
        out.notes.iter().any(|n| {
            n.contains("integrates function LambdaFunction, but no AWS::Lambda::Permission")
        })
    };
    assert!(no_permission(&imported(rel)), "{:?}", imported(rel).notes);
    let text = corpus_text(rel);
    let permission = |function: &str| {
        format!(
            "{text}  InvokePermission:\n    Type: AWS::Lambda::Permission\n    Properties:\n      \
             Action: lambda:InvokeFunction\n      FunctionName: !GetAtt {function}.Arn\n      \
             Principal: apigateway.amazonaws.com\n"
        )
    };
    let granted = import(rel, &permission("LambdaFunction")).unwrap();
    assert!(!no_permission(&granted), "{:?}", granted.notes);
    // One for another function does not let this one be invoked.
    let other = import(rel, &permission("LambdaRole")).unwrap();
    assert!(no_permission(&other), "{:?}", other.notes);
}

#[test]
fn conditions_decided_by_parameters_keep_or_drop_resources() {
    // UsedeadletterQueue defaults to "false": the dead-letter queue is left out, said so.
    let out = imported("templates/queue-optional-dlq.json");
    assert!(!out.scenario.contains("MyDeadLetterQueue\""));
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("MyDeadLetterQueue is left out")));
    // EnableReadReplica defaults to "true": the replica counts as one of MainDB's.
    let out = imported("templates/mysql-replica.json");
    assert!(out.scenario.contains("read_replicas = 1"));
    assert!(out.scenario.contains("engine = \"mysql\""));
}

#[test]
fn a_terraform_plan_reads_its_references() {
    let out = imported("terraform/orders-plan.json");
    let sc = &out.scenario;
    // The stage's throttle and the integration's target are the API's.
    assert!(sc.contains("throttle = { burst = 200, rate = 100.0 }"));
    assert!(sc.contains("target = \"aws_lambda_function-api\""));
    assert!(sc.contains("{ to = \"aws_dynamodb_table-orders\" },  # assumed from configuration"));
    // A child module's queue, its redrive policy naming the dead-letter queue by reference.
    assert!(sc.contains("dead_letter = \"module-queue-aws_sqs_queue-dlq\""));
    // Terraform's -1 means no reserved concurrency: none written.
    assert!(!sc.contains("reserved_concurrency"));
    assert!(out.asks.iter().any(|a| a.contains("max_receive_count")));
    // Provisioned 20 RCU / 10 WCU: at 10 requests/s (9 reads of 0.5 RCU, 1 write of 1 WCU)
    // nothing throttles.
    let s = run(sc);
    assert_eq!(
        num(&s, "components.aws_dynamodb_table-orders.throttles"),
        0.0
    );
}

#[test]
fn a_plans_integration_timeout_is_commented_by_its_terraform_name() {
    // The comment names the property as the plan spells it, not CloudFormation's name.
    let out = imported("terraform/orders-plan.json");
    assert!(
        out.scenario
            .contains("integration_timeout = \"10s\"  # timeout_milliseconds"),
        "{}",
        out.scenario
    );
}

#[test]
fn text_from_a_template_cannot_break_the_scenario() {
    // Names with quotes, newlines and TOML syntax, a bidi override, and an unknown type:
    // ids are sanitised, strings quoted by toml's serializer, comments kept to one line.
    let template = r#"{
      "Resources": {
        "Fn\"]\n[[component]]\nid = \"x": {
          "Type": "AWS::Lambda::Function",
          "Properties": {
            "MemorySize": 99999,
            "Runtime": "cobol\n[[workload]]",
            "Environment": { "Variables": { "T\n# \u202e": { "Ref": "Table" } } }
          }
        },
        "Table": { "Type": "AWS::DynamoDB::Table", "Properties": { "BillingMode": "PAY_PER_REQUEST" } },
        "Thing\n": { "Type": "Custom::Mine\n[scenario]" }
      }
    }"#;
    let out = import("evil\n.json", template).unwrap();
    let sc = scenario(&out.scenario);
    assert_eq!(sc.workloads.len(), 1);
    // 99,999 MB is beyond Lambda's 10,240: held to it, and said so.
    assert!(out.scenario.contains("memory_mb = 10240"));
    assert!(out.notes.iter().any(|n| n.contains("MemorySize 99999")));
    assert!(out.unmapped.iter().any(|u| u.contains("Custom::Mine")));
    assert!(out.scenario.lines().all(|l| !l.contains('\u{202e}')));
    run(&out.scenario);
}

#[test]
fn each_malformed_template_gets_its_located_error() {
    // Like tests/bad: each file's first line says `# expect: LINE:COLUMN: words`.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let first = text.lines().next().unwrap_or("");
        let expect = first
            .strip_prefix("# expect: ")
            .or_else(|| {
                first
                    .strip_prefix("{\"expect\": \"")
                    .and_then(|s| s.split('"').next())
            })
            .unwrap_or_else(|| panic!("{}: no expect line", f.display()));
        let name = f.file_name().unwrap().to_str().unwrap();
        let err = import(name, &text).expect_err(name).to_string();
        let (place, words) = expect.split_once(": ").unwrap();
        assert!(
            err.starts_with(&format!("{name}:{place}: ")) && err.contains(words),
            "{name}: got {err:?}, expected {expect:?}"
        );
    }
}

#[test]
fn records_distributions_and_buckets_keep_their_ties() {
    // Two weighted records of one name, each an alias to a load balancer in front of a group;
    // a distribution whose origin is a bucket encrypted with a key of the template.
    let template = r#"
Resources:
  Blue:
    Type: AWS::Route53::RecordSet
    Properties:
      Name: shop.example.com.
      Type: A
      SetIdentifier: blue
      Weight: 200
      AliasTarget: { DNSName: !GetAtt BlueLb.DNSName, HostedZoneId: !GetAtt BlueLb.CanonicalHostedZoneID }
  Green:
    Type: AWS::Route53::RecordSet
    Properties:
      Name: shop.example.com.
      Type: A
      SetIdentifier: green
      Weight: 55
      AliasTarget: { DNSName: !GetAtt GreenLb.DNSName, HostedZoneId: Z1 }
  BlueLb: { Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: { Type: application } }
  GreenLb: { Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: { Type: application } }
  BlueListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref BlueLb
      DefaultActions: [{ Type: forward, TargetGroupArn: !Ref BlueTg }]
  GreenListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref GreenLb
      DefaultActions: [{ Type: forward, TargetGroupArn: !Ref GreenTg }]
  BlueTg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      HealthCheckIntervalSeconds: 10
      HealthCheckTimeoutSeconds: 5
      TargetGroupAttributes: [{ Key: deregistration_delay.timeout_seconds, Value: "30" }]
  GreenTg: { Type: AWS::ElasticLoadBalancingV2::TargetGroup }
  BlueAsg:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { MinSize: "2", MaxSize: "4", TargetGroupARNs: [!Ref BlueTg], LaunchTemplate: { LaunchTemplateId: !Ref Lt, Version: "1" } }
  GreenAsg:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { MinSize: "2", MaxSize: "4", TargetGroupARNs: [!Ref GreenTg], LaunchTemplate: { LaunchTemplateId: !Ref Lt, Version: "1" } }
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties: { LaunchTemplateData: { InstanceType: c5.large } }
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Origins: [{ Id: s3, DomainName: !GetAtt Assets.RegionalDomainName }]
        DefaultCacheBehavior: { DefaultTTL: 600, MinTTL: 0, MaxTTL: 3600 }
  Assets:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: !Ref Key }
            BucketKeyEnabled: true
  Key: { Type: AWS::KMS::Key }
"#;
    let out = import("shop.yaml", template).unwrap();
    let sc = &out.scenario;
    assert!(sc.contains("routing = \"weighted\""));
    assert!(sc.contains("{ to = \"BlueLb\", weight = 200 }"));
    assert!(sc.contains("{ to = \"GreenLb\", weight = 55 }"));
    assert!(sc.contains("targets = \"BlueAsg\""));
    assert!(sc.contains("health_check = { interval = \"10s\", timeout = \"5s\" }"));
    assert!(sc.contains("deregistration_delay = \"30s\""));
    assert!(sc.contains("instance_type = \"c5.large\""));
    assert!(sc.contains("origin = \"Assets\""));
    assert!(sc.contains("default_ttl = \"600s\""));
    assert!(sc.contains("kms = \"Key\""));
    assert!(sc.contains("bucket_key = true"));
    // The front doors get traffic: the DNS name and the distribution; a load balancer behind
    // a record does not.
    let parsed = scenario(sc);
    let targets: Vec<&str> = parsed
        .workloads
        .iter()
        .map(|w| parsed.components[w.target].id.as_str())
        .collect();
    assert_eq!(targets, ["Blue", "Cdn"]);
    // Weighted 200 : 55, both healthy: Blue's load balancer gets 200/255 = 78 % of the DNS
    // name's requests; each client keeps its cached answer for the alias TTL, so the split is
    // by clients (1,000 by default), not requests: ±10 points is generous for 1,000 clients.
    let s = run(sc);
    let blue = num(&s, "components.BlueLb.requests");
    let green = num(&s, "components.GreenLb.requests");
    let share = blue / (blue + green);
    assert!((share - 200.0 / 255.0).abs() < 0.1, "{share}");
}

#[test]
fn slow_start_with_least_outstanding_requests_keeps_the_algorithm_and_says_why_not_the_ramp() {
    // aws-facts §3: slow start is not allowed with least outstanding requests. A template
    // asking for both would not deploy; the import keeps the algorithm (it decides every
    // request) and leaves the ramp out, said in a note, and its scenario runs. Alone, each
    // is kept.
    let template = |attributes: &str| {
        format!(
            r#"
Resources:
  Lb: {{ Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {{ Type: application }} }}
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Lb
      DefaultActions: [{{ Type: forward, TargetGroupArn: !Ref Tg }}]
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      TargetGroupAttributes: [{attributes}]
  Asg:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {{ MinSize: "2", MaxSize: "2", TargetGroupARNs: [!Ref Tg], LaunchTemplate: {{ LaunchTemplateId: !Ref Lt, Version: "1" }} }}
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties: {{ LaunchTemplateData: {{ InstanceType: c5.large }} }}
"#
        )
    };
    let slow = r#"{ Key: slow_start.duration_seconds, Value: "60" }"#;
    let least = r#"{ Key: load_balancing.algorithm.type, Value: least_outstanding_requests }"#;
    let refused = |out: &archsim::import::Imported| {
        out.notes
            .iter()
            .any(|n| n.contains("Tg's slow start (60 s) is left out: AWS refuses slow start with least outstanding requests"))
    };
    let both = import("lb.yaml", &template(&format!("{slow}, {least}"))).unwrap();
    assert!(refused(&both), "{:?}", both.notes);
    assert!(both.scenario.contains("algorithm = \"least_outstanding\""));
    assert!(!both.scenario.contains("slow_start"), "{}", both.scenario);
    scenario(&both.scenario);
    let alone = import("lb.yaml", &template(slow)).unwrap();
    assert!(!refused(&alone), "{:?}", alone.notes);
    assert!(alone.scenario.contains("slow_start = \"60s\""));
    scenario(&alone.scenario);
    let least_alone = import("lb.yaml", &template(least)).unwrap();
    assert!(least_alone
        .scenario
        .contains("algorithm = \"least_outstanding\""));
    scenario(&least_alone.scenario);
}

#[test]
fn a_cache_named_beside_a_table_stands_in_front_of_it() {
    // The function's environment names the replication group and the table: the cache's
    // backend is the table, and the function's calls go to the cache only.
    let out = imported("templates/catalog-cache.yaml");
    let sc = &out.scenario;
    assert!(sc.contains("kind = \"cache\"  # AWS::ElastiCache::ReplicationGroup CatalogCache"));
    assert!(sc.contains("backend = \"ProductsTable\""));
    assert!(sc.contains("engine = \"valkey\"  # Engine valkey"));
    assert!(sc.contains("multi_az = true  # MultiAZEnabled"));
    assert!(sc.contains("{ to = \"CatalogCache\" }"));
    assert!(!sc.contains("{ to = \"ProductsTable\" }"));
    // cache.t4g.small has no price in archsim: a starting value, listed.
    assert!(out
        .asks
        .iter()
        .any(|a| a.starts_with("CatalogCache.node_hourly")));
    // The cache's group lets in the function's group; both are written and named.
    assert!(sc.contains("{ from = \"FunctionSecurityGroup\" }"));
    assert!(sc.contains("security_groups = [\"CacheSecurityGroup\"]"));
    assert!(sc.contains("security_groups = [\"FunctionSecurityGroup\"]"));
    let s = run(sc);
    // Every invocation calls the cache once, so the cache sees the invocations (both counted
    // when their requests arrive; the last ~1 s of requests may still be in flight: within
    // 25 at 10/s).
    let invocations = num(&s, "components.CatalogFunction.invocations");
    let cache = num(&s, "components.CatalogCache.requests");
    assert!((invocations - cache).abs() <= 25.0, "{invocations} {cache}");
    // The security-group rule lets every call in: none dropped.
    assert!(s["components"]["CatalogFunction"]["network"]["dropped"]
        .get("CatalogCache")
        .is_none());
    // The table sees what passes the cache: the writes and the reads that miss. The imported
    // workload draws its keys uniformly from archsim's default 1,000,000, so among ~1,200
    // requests a key repeats about 1,200² / 2,000,000 ≈ 0.7 times: nearly every read misses
    // (the note says to set `keys`), and the table sees the cache's requests, but a few.
    let table = num(&s, "components.ProductsTable.requests");
    assert!(table <= cache && cache - table <= 5.0, "{table} of {cache}");
    assert!(out.notes.iter().any(|n| n.contains("set `keys`")));
}

#[test]
fn a_topic_delivers_to_each_subscription_in_every_form() {
    // An inline subscription (a queue), a Subscription resource (a queue, with a dead-letter
    // queue) and SAM's SNS event (a function); the email subscription is not simulated.
    let out = imported("templates/order-fanout.yaml");
    let sc = &out.scenario;
    assert!(sc.contains("{ to = \"BillingQueue\" },  # its Subscription 1 (sqs)"));
    assert!(sc.contains("{ dead_letter = \"ShippingDeliveryDLQ\", to = \"ShippingQueue\" }"));
    assert!(sc.contains("{ to = \"AuditFunction\" },  # SAM event Audit (type SNS)"));
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("(email) names no resource")));
    assert!(out.notes.iter().any(|n| n.contains("filter policy")));
    // The topic is the only entry: the dead-letter queue gets its messages through the tie.
    let parsed = scenario(sc);
    assert_eq!(parsed.workloads.len(), 1);
    assert_eq!(
        parsed.components[parsed.workloads[0].target].id,
        "OrderEvents"
    );
    // Each publish is delivered to both queues: each queue is sent as many messages as the
    // topic admits, but for the deliveries still pending when the run ends (SNS's delivery
    // latency is tens of ms, a choice of median 30 ms: at 10/s, a handful).
    let s = run(sc);
    let published = num(&s, "components.OrderEvents.publishes");
    for q in ["BillingQueue", "ShippingQueue"] {
        let sent = num(&s, &format!("components.{q}.by_status.200"));
        assert!(
            sent <= published && published - sent <= 5.0,
            "{q}: {sent} of {published}"
        );
    }
    assert!(num(&s, "components.AuditFunction.invocations") > 0.9 * published);
}

#[test]
fn a_sam_sns_events_filter_and_redrive_are_its_subscriptions() {
    // SAM's SNS event subscribes the function: the event's RedrivePolicy is that
    // subscription's dead-letter queue, and its FilterPolicy (message attributes, which
    // archsim's messages do not have) is said, as a Subscription resource's is; SqsSubscription
    // (a queue SAM puts between them) is said too. Each had been dropped without a word.
    let text = corpus_text("templates/order-fanout.yaml");
    let event = "            Topic: !Ref OrderEvents\n";
    assert!(text.contains(event));
    let with = |extra: &str| text.replacen(event, &format!("{event}{extra}"), 1);
    let out = import(
        "fanout.yaml",
        &with(
            "            FilterPolicy: { kind: [refund] }\n            \
             RedrivePolicy: { deadLetterTargetArn: !GetAtt ShippingDeliveryDLQ.Arn }\n",
        ),
    )
    .unwrap();
    assert!(
        out.scenario
            .contains("{ dead_letter = \"ShippingDeliveryDLQ\", to = \"AuditFunction\" }"),
        "{}",
        out.scenario
    );
    let filter = "SAM event Audit of AuditFunction's filter policy reads message attributes archsim does not have: every message is delivered";
    assert!(
        out.notes.iter().any(|n| n.contains(filter)),
        "{:?}",
        out.notes
    );
    scenario(&out.scenario);
    let queued = import("fanout.yaml", &with("            SqsSubscription: true\n")).unwrap();
    assert!(
        queued.notes.iter().any(|n| n.contains(
            "SAM event Audit of AuditFunction: SqsSubscription puts an SQS queue between the topic and the function"
        )),
        "{:?}",
        queued.notes
    );
    // As the corpus has it, no filter, no queue: neither note.
    let plain = imported("templates/order-fanout.yaml");
    assert!(!plain.notes.iter().any(|n| n.contains("SAM event Audit")));
}

#[test]
fn notes_on_what_is_not_simulated_say_what_to_write() {
    // A bucket's notifications name the consumers to drive by hand (the note had said they
    // "get a workload of their own" when the import gave them none); a maxReceiveCount from a
    // parameter without a default says what the starting value is (the sentence had stopped
    // at "set the queue's").
    let notify = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations:
          - { Event: "s3:ObjectCreated:*", Function: !GetAtt Thumbnailer.Arn }
  UploadFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
      Policies: [{ S3WritePolicy: { BucketName: !Ref Uploads } }]
      Environment: { Variables: { BUCKET: !Ref Uploads } }
      Events: { Put: { Type: Api, Properties: { Path: /upload, Method: post } } }
  Thumbnailer:
    Type: AWS::Serverless::Function
    Properties: { Handler: index.handler, Runtime: nodejs20.x }
"#;
    let out = import("notify.yaml", notify).unwrap();
    assert!(
        out.notes.iter().any(|n| n.contains(
            "Uploads's event notifications are not simulated: to study their consumers (Thumbnailer), give them a workload of their own"
        )),
        "{:?}",
        out.notes
    );
    // SAM's S3WritePolicy grants the upload: the call stays.
    assert!(
        out.scenario.contains("{ to = \"Uploads\""),
        "{}",
        out.scenario
    );
    let redrive = r#"
Parameters: { MaxReceives: { Type: Number } }
Resources:
  Dlq: { Type: AWS::SQS::Queue }
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: { deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: !Ref MaxReceives }
"#;
    let out = import("redrive.yaml", redrive).unwrap();
    assert!(
        out.scenario.contains("RedrivePolicy's maxReceiveCount is not a literal in the template: set how many receives a message may have before the queue moves it to its dead-letter queue (1 to 1,000)"),
        "{}",
        out.scenario
    );
}

#[test]
fn a_state_machines_definition_becomes_its_states() {
    // SAM's Definition with DefinitionSubstitutions: each Task's resource is the component the
    // substitution names; the Choice's branches are equal starting shares; a retrier naming
    // the function's own error (OrderInvalid, which archsim does not raise) is left out.
    let out = imported("templates/order-workflow.yaml");
    let sc = &out.scenario;
    assert!(sc.contains("start_at = \"Validate_Order\""));
    assert!(sc.contains(
        "name = \"Validate_Order\", next = \"Needs_Review_\", resource = \"ValidateFunction\""
    ));
    assert!(sc.contains("{ name = \"Record_Order\", next = \"Announce\", op = \"write\", resource = \"OrdersTable\", type = \"task\" }"));
    assert!(sc.contains("resource = \"OrderTopic\""));
    assert!(sc.contains("{ next = \"Wait_For_Review\", probability = 0.5 }"));
    assert!(out
        .asks
        .iter()
        .any(|a| a.starts_with("OrderWorkflow.state")));
    assert!(out.notes.iter().any(|n| n.contains("OrderInvalid")));
    // The function, table and topic are called by the machine: its only workload.
    let parsed = scenario(sc);
    assert_eq!(parsed.workloads.len(), 1);
    let s = run(sc);
    let started = num(&s, "components.OrderWorkflow.started");
    let validated = num(&s, "components.OrderWorkflow.states.Validate_Order.entered");
    let reviewed = num(
        &s,
        "components.OrderWorkflow.states.Wait_For_Review.entered",
    );
    let recorded = num(&s, "components.OrderWorkflow.states.Record_Order.entered");
    let announced = num(&s, "components.OrderWorkflow.states.Announce.entered");
    // Every execution enters Validate_Order; the function never fails, so each goes on to
    // Record_Order and Announce (the run lets the executions in flight finish), half of them
    // by Wait_For_Review: 0.5 of ~1,200, ±52 at three standard deviations (√(1,200/4) ≈ 17).
    assert_eq!(validated, started);
    assert_eq!(recorded, validated);
    assert_eq!(announced, validated);
    assert!(
        (reviewed - 0.5 * validated).abs() <= 52.0,
        "{reviewed} of {validated}"
    );
    // 50 WCU provisioned, each PutItem 1 WCU, at most 10/s: none throttled.
    assert_eq!(num(&s, "components.OrdersTable.throttles"), 0.0);
}

#[test]
fn a_plans_module_outputs_are_followed_to_their_resources() {
    // The subscription's endpoint is `module.worker.queue_arn`, an output of the worker module
    // naming its queue; the state machine's definition, rendered in the plan, names the
    // module's function by ARN and the table by name (updateItem: the table, not the topic of
    // the same name).
    let out = imported("terraform/fulfil-plan.json");
    let sc = &out.scenario;
    assert!(sc.contains("{ to = \"module-worker-aws_sqs_queue-this\" },  # subscription aws_sns_topic_subscription.fulfil"));
    assert!(sc.contains("resource = \"module-worker-aws_lambda_function-this\""));
    assert!(sc.contains("op = \"write\", resource = \"aws_dynamodb_table-orders\""));
    assert!(sc.contains("backend = \"aws_dynamodb_table-orders\""));
    assert!(sc.contains("type = \"express\""));
    // The function's environment names the table and the cache: it calls the cache only.
    assert!(!sc.contains("{ to = \"aws_dynamodb_table-orders\" }"));
    let parsed = scenario(sc);
    let targets: Vec<&str> = parsed
        .workloads
        .iter()
        .map(|w| parsed.components[w.target].id.as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "aws_sns_topic-orders",
            "aws_lambda_function-api",
            "aws_sfn_state_machine-fulfil"
        ]
    );
    run(sc);
}

#[test]
fn usage_plans_stage_caches_and_alias_weights_are_keys() {
    // A REST API whose stage enables its cache (TTL 120 s for all methods), a usage plan of
    // 50/s, burst 100, 10,000 a day with one key, and a function's alias sending 10 % to
    // another version.
    let template = r#"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: { Name: shop }
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      HttpMethod: GET
      Integration: { Type: AWS_PROXY, Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Live.Arn}/invocations" }
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
      MethodSettings: [{ HttpMethod: "*", ResourcePath: "/*", CachingEnabled: true, CacheTtlInSeconds: 120 }]
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ ApiId: !Ref Api, Stage: prod }]
      Throttle: { RateLimit: 50, BurstLimit: 100 }
      Quota: { Limit: 10000, Period: DAY }
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: { KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan }
  Key: { Type: AWS::ApiGateway::ApiKey }
  Fn:
    Type: AWS::Lambda::Function
    Properties: { Runtime: python3.12, MemorySize: 1769 }
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Fn
      FunctionVersion: "3"
      Name: live
      RoutingConfig:
        AdditionalVersionWeights: [{ FunctionVersion: "4", FunctionWeight: 0.1 }]
"#;
    let out = import("shop.yaml", template).unwrap();
    let sc = &out.scenario;
    assert!(sc.contains("cache = { ttl = \"120s\" }"));
    assert!(
        sc.contains("usage_plan = { burst = 100, period = \"day\", quota = 10000, rate = 50.0 }")
    );
    assert!(sc.contains("api_keys = 1"));
    assert!(sc.contains("canary = { weight = 0.1 }"));
    assert!(out.notes.iter().any(|n| n.contains("0.5 GB")));
    // 10 requests/s over 2 minutes, 9 in 10 reads: the cache holds each read's key for 120 s,
    // so reads of a key seen in the last 120 s are answered from it; nothing exceeds the plan
    // (10/s under 50/s, 1,200 under 10,000 a day), so no 429.
    let s = run(sc);
    assert!(s["components"]["Api"]["by_status"].get("429").is_none());
    // The canary takes 10 % of the invocations: of ~1,080 (the reads that miss, the writes),
    // within three standard deviations (√(1,080 × 0.1 × 0.9) ≈ 10: ±30).
    let all = num(&s, "components.Fn.invocations");
    let canary = num(&s, "components.Fn.versions.canary.invocations");
    assert!((canary - 0.1 * all).abs() <= 30.0, "{canary} of {all}");
}

/// Imports a corpus template, writes the scenario to a file of its own and lints it:
/// the exit status, lint's output and the import.
fn import_and_lint(rel: &str) -> (i32, String, archsim::import::Imported) {
    let out = imported(rel);
    let stem = Path::new(rel).file_stem().unwrap().to_str().unwrap();
    let dir = std::env::temp_dir().join(format!("archsim-import-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{stem}.toml"));
    std::fs::write(&file, &out.scenario).unwrap();
    let lint = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("lint")
        .arg(&file)
        .output()
        .expect("archsim runs");
    (
        lint.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&lint.stdout).into_owned(),
        out,
    )
}

#[test]
fn roles_policies_and_sam_templates_grant_what_the_calls_need() {
    let (code, text, out) = import_and_lint("templates/iam-granted.yaml");
    assert_eq!(code, 0, "lint:\n{text}\n{}", out.scenario);
    let sc = scenario(&out.scenario);
    // SAM makes OrdersFn a role of its own; WorkerFn names WorkerRole; AuditRole is assumed
    // by no function and still written.
    for role in ["OrdersFnRole", "WorkerRole", "AuditRole"] {
        assert!(
            out.scenario.contains(&format!("id = \"{role}\"")),
            "{role}:\n{}",
            out.scenario
        );
    }
    assert!(out.scenario.contains("role = \"OrdersFnRole\""));
    assert!(out.scenario.contains("role = \"WorkerRole\""));
    assert!(out.scenario.contains("# assumed by no simulated component"));
    // The IAM types are read, not listed as unsimulated.
    assert!(
        !out.unmapped.iter().any(|u| u.contains("AWS::IAM")),
        "{:?}",
        out.unmapped
    );
    // DynamoDBCrudPolicy grants the table by its id (its ARN); the worker's `Fn::Sub` ARN of
    // the table, read with `*` for region and account, becomes the same id.
    let crud = sc
        .roles
        .iter()
        .find(|r| r.id == "OrdersFnRole")
        .expect("OrdersFnRole");
    assert!(crud
        .statements
        .iter()
        .any(|s| s.actions.iter().any(|a| a == "dynamodb:PutItem")
            && s.resources
                .iter()
                .flat_map(|r| &r.patterns)
                .all(|r| r.ends_with(":table/OrdersTable"))));
    // Run as imported: nothing is denied (no 403).
    let s = run(&out.scenario);
    assert!(
        archsim::metrics::pointer(&s, "requests.by_status.403").is_none(),
        "{}",
        serde_json::to_string(&s).unwrap_or_default()
    );
}

#[test]
fn a_missing_permission_is_a_denied_call_lint_names() {
    let (code, text, out) = import_and_lint("templates/iam-missing-write.yaml");
    // DynamoDBReadPolicy grants GetItem, Scan, Query, BatchGetItem and DescribeTable: the
    // function's writes (PutItem) are denied, which lint reports at the call.
    assert_eq!(code, 1, "lint:\n{text}");
    let hit = text
        .lines()
        .find(|l| l.contains(": error: ") && l.contains("dynamodb:PutItem"))
        .unwrap_or_else(|| panic!("no denied PutItem in:\n{text}"));
    assert!(hit.contains("AccessDeniedException"), "{hit}");
    // Run: 10 requests/s for 120 s, each a write (the API's one route is a POST): about 1,200
    // writes, each denied at once (counted on the caller per callee). Poisson: √1,200 ≈ 35,
    // so ±150 is over four standard deviations. The function fails on the 403, which the REST
    // API answers as 502; nothing else fails.
    let s = run(&out.scenario);
    let denied = num(&s, "components.OrdersFn.access.denied.OrdersTable");
    assert!((denied - 1_200.0).abs() < 150.0, "{denied} denied");
    assert_eq!(num(&s, "requests.by_status.502"), denied);
}

#[test]
fn a_plans_role_policy_and_attachment_are_the_functions_role() {
    let (code, text, out) = import_and_lint("terraform/iam-plan.json");
    assert_eq!(code, 0, "lint:\n{text}\n{}", out.scenario);
    let sc = &out.scenario;
    assert!(sc.contains("role = \"aws_iam_role-api\""), "{sc}");
    // The policy's ARN names the table by its AWS name (`orders`): it becomes the component,
    // whose ARN archsim forms from its id.
    assert!(
        sc.contains("resources = [\"aws_dynamodb_table-orders\"]"),
        "{sc}"
    );
    // An action of a service archsim does not know is left out, said so.
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("cloudformation:DescribeStacks")),
        "{:?}",
        out.notes
    );
    let s = run(sc);
    assert!(archsim::metrics::pointer(&s, "requests.by_status.403").is_none());
}

/// The component of id `id` in a parsed scenario.
fn component<'a>(
    sc: &'a archsim::scenario::Scenario,
    id: &str,
) -> &'a archsim::scenario::ComponentDecl {
    sc.components
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no component {id}"))
}

#[test]
fn a_launch_templates_block_device_is_a_volume_on_each_instance_of_its_group() {
    let out = imported("templates/web-volumes.yaml");
    let text = &out.scenario;
    let sc = scenario(text);
    // The launch template's first EBS device, as written, on each instance of WebGroup; its
    // second (/dev/sdf) is left out, said so: archsim gives an instance one volume.
    assert!(text.contains(
        "id = \"WebGroup-ebs\"\nkind = \"ebs\"  # carried by each instance of AWS::AutoScaling::AutoScalingGroup WebGroup\nattached_to = \"WebGroup\""
    ), "{text}");
    for line in [
        "volume_type = \"gp3\"  # VolumeType",
        "size_gib = 100  # VolumeSize",
        "iops = 6000  # Iops",
        "throughput_mibps = 250  # Throughput",
    ] {
        assert!(text.contains(line), "{line}:\n{text}");
    }
    assert!(out.notes.iter().any(|n| n.contains("/dev/sdf is left out")));
    // The launch configuration's io1 device: 5,000 IOPS on 40 GiB is over io1's 50 IOPS per
    // GiB (aws-facts §11), so 2,000 is written, said in a note.
    assert!(text.contains("volume_type = \"io1\""));
    assert!(text.contains("iops = 2000  # Iops"), "{text}");
    assert!(out.notes.iter().any(|n| n.contains("IOPS 5000")));
    // The I/Os per request are starting values.
    assert!(out
        .asks
        .iter()
        .any(|a| a.starts_with("WebGroup-ebs.ios_per_read = 1")));
    // A volume attached to an instance (which archsim does not simulate) is left out, said so.
    assert!(
        sc.components
            .iter()
            .all(|c| !c.id.contains("ScratchVolume")),
        "{text}"
    );
    assert!(out.notes.iter().any(
        |n| n.contains("ScratchVolume (AWS::EC2::Volume) is left out") && n.contains("Bastion")
    ));
    assert!(
        !out.unmapped.iter().any(|u| u.contains("Volume")),
        "{:?}",
        out.unmapped
    );
    // Both groups take their instance profile's role; the volumes are attached, not called:
    // the only workload is the load balancer's.
    assert_eq!(sc.workloads.len(), 1);
    for group in ["WebGroup", "BatchGroup"] {
        let role = component(&sc, group).role.expect("a role");
        assert_eq!(sc.roles[role].id, "WebRole");
    }
    assert!(component(&sc, "WebGroup-ebs").role.is_none());
    assert!(!out.unmapped.iter().any(|u| u.contains("InstanceProfile")));
    // Run: each request the group serves makes one I/O (a read or a write) on its
    // instance's volume, so the volumes' I/Os are the group's requests; the two instances
    // (MinSize) each have one gp3 volume at 6,000 IOPS, never short at 10/s: no I/O waits.
    let s = run(text);
    let served = num(&s, "components.WebGroup.requests");
    assert_eq!(num(&s, "components.WebGroup-ebs.ios"), served);
    assert_eq!(num(&s, "components.WebGroup-ebs.volumes"), 2.0);
    assert_eq!(num(&s, "components.WebGroup-ebs.baseline_iops"), 6_000.0);
    assert_eq!(num(&s, "components.WebGroup-ebs.io_wait_ms.max"), 0.0);
    assert_eq!(num(&s, "components.BatchGroup-ebs.baseline_iops"), 2_000.0);
}

#[test]
fn a_plans_block_devices_volumes_and_roles_are_read() {
    let out = imported("terraform/volumes-roles-plan.json");
    let text = &out.scenario;
    let sc = scenario(text);
    // `block_device_mappings[0].ebs[0]`: gp2, 200 GiB, so 600 IOPS baseline (3 per GiB,
    // aws-facts §11), on each instance of the group.
    assert!(
        text.contains("attached_to = \"aws_autoscaling_group-web\""),
        "{text}"
    );
    assert!(text.contains("volume_type = \"gp2\"  # volume_type"));
    assert!(text.contains("size_gib = 200  # volume_size"));
    // The instance profile's role is the group's; the state machine's `role_arn` its own.
    let group = component(&sc, "aws_autoscaling_group-web");
    assert_eq!(sc.roles[group.role.unwrap()].id, "aws_iam_role-web");
    let flow = component(&sc, "aws_sfn_state_machine-flow");
    assert_eq!(sc.roles[flow.role.unwrap()].id, "aws_iam_role-flow");
    // The io2 volume is attached to an `aws_instance`, which is not simulated.
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("aws_ebs_volume-logs (aws_ebs_volume) is left out")));
    let s = run(text);
    assert_eq!(
        num(&s, "components.aws_autoscaling_group-web-ebs.baseline_iops"),
        600.0
    );
    // The flow's role grants the invoke: every task runs, none is denied.
    assert!(archsim::metrics::pointer(&s, "requests.by_status.403").is_none());
    assert_eq!(
        num(
            &s,
            "components.aws_sfn_state_machine-flow.states.Score.entered"
        ),
        num(&s, "components.aws_lambda_function-score.invocations")
    );
}

#[test]
fn language_extension_loops_make_their_resources() {
    // Fn::ForEach over a CommaDelimitedList parameter's default ("eu, us") and, nested, over
    // two lists: each value makes its copy, `${Id}` replaced by the value, `&{Id}` by it
    // without its non-alphanumeric characters, `!Ref Id` by the value.
    let out = imported("templates/looped-tables.yaml");
    let sc = &out.scenario;
    for id in ["Orderseu", "Ordersus"] {
        assert!(
            sc.contains(&format!("kind = \"dynamodb\"  # AWS::DynamoDB::Table {id}")),
            "{id}: {sc}"
        );
    }
    for id in ["Storehota1", "Storehotb2", "Storecolda1", "Storecoldb2"] {
        assert!(
            sc.contains(&format!("kind = \"s3\"  # AWS::S3::Bucket {id}")),
            "{id}: {sc}"
        );
    }
    assert_eq!(out.components, 7, "{sc}");
    assert!(!sc.contains("ForEach"), "{sc}");
    // The function's environment names the first table, made by the loop: its call is kept.
    assert!(sc.contains("{ to = \"Orderseu\" },  # assumed from configuration"));
    let s = run(sc);
    assert!(num(&s, "components.Writer.invocations") > 0.0);
}

#[test]
fn a_key_written_twice_reads_its_last_value_as_cloudformation_does() {
    let out = imported("templates/twice-written.yaml");
    assert!(
        out.scenario.contains("visibility_timeout = \"90s\""),
        "{}",
        out.scenario
    );
    assert!(out.scenario.contains("retention = \"3600s\""));
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("`VisibilityTimeout` is written twice")));
    run(&out.scenario);
}

#[test]
fn a_version_naming_its_function_by_name_configures_it() {
    // The version names the function through the FunctionName both write: its provisioned
    // concurrency is the function's. A version of a function the template does not hold is
    // left out, said so, instead of becoming a function with no handler time.
    let out = imported("templates/version-by-name.yaml");
    let sc = &out.scenario;
    assert_eq!(out.components, 1, "{sc}");
    assert_eq!(sc.matches("kind = \"lambda\"").count(), 1, "{sc}");
    assert!(sc.contains("provisioned_concurrency = 5"), "{sc}");
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("ElsewhereVersion names no function of the template")));
    let s = run(sc);
    assert!(num(&s, "components.Handler.invocations") > 0.0);
}

#[test]
fn a_consumer_whose_configuration_names_its_queue_does_not_call_it_back() {
    // The queue invokes the function (its SQS event); the function's environment and policy
    // also name the queue, which would make an assumed call back into it: a cycle a scenario
    // refuses. The assumed call is left out, said so; the one to the table stays.
    let out = imported("templates/consumer-names-queue.yaml");
    let sc = &out.scenario;
    assert!(sc.contains("to = \"Drainer\""), "{sc}");
    assert!(!sc.contains("{ to = \"Inbox\" }"), "{sc}");
    assert!(sc.contains("{ to = \"Archive\" },  # assumed from configuration"));
    assert!(out.notes.iter().any(
        |n| n.starts_with("Drainer → Inbox (assumed from configuration")
            && n.contains("would make a cycle")
    ));
    let s = run(sc);
    assert!(num(&s, "components.Drainer.invocations") > 0.0);
    assert!(num(&s, "components.Archive.by_status.200") > 0.0);
}

#[test]
fn a_template_with_nothing_simulated_lists_its_types_in_the_refusal() {
    let text = "Resources:\n  Net:\n    Type: AWS::EC2::VPC\n  Gw:\n    Type: AWS::EC2::InternetGateway\n  Net2:\n    Type: AWS::EC2::VPC\n";
    let err = import("net.yaml", text).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "there is nothing to run (types not simulated: AWS::EC2::InternetGateway, AWS::EC2::VPC)"
        ),
        "{err}"
    );
}

#[test]
fn a_state_machines_role_is_checked_on_its_tasks() {
    let (code, text, out) = import_and_lint("templates/workflow-roles.yaml");
    // PaymentsMachine's RoleArn grants lambda:InvokeFunction, RefundMachine's SAM
    // LambdaInvokePolicy does too (in the role SAM makes for it, with no managed policy of
    // its own); AuditMachine's AmazonSQSFullAccess does not, which lint reports.
    assert!(out.scenario.contains("role = \"PaymentsRole\""));
    assert!(out
        .scenario
        .contains("id = \"RefundMachineRole\"  # the role SAM makes for RefundMachine"));
    assert!(out.scenario.contains("role = \"AuditMachineRole\""));
    assert_eq!(code, 1, "lint:\n{text}");
    let denied: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(": error: ") && l.contains("lambda:InvokeFunction"))
        .collect();
    assert_eq!(denied.len(), 1, "{text}");
    // Run: each machine gets about 1,200 executions. Every Audit task is denied (403) and
    // caught by its `States.Permissions` catcher into the Fail state; the function is
    // invoked by the two others' tasks only.
    let s = run(&out.scenario);
    let audit = num(&s, "components.AuditMachine.started");
    assert_eq!(
        num(&s, "components.AuditMachine.access.denied.ChargeFunction"),
        audit
    );
    assert_eq!(
        num(&s, "components.AuditMachine.states.Recheck.caught"),
        audit
    );
    assert_eq!(
        num(&s, "components.AuditMachine.states.Denied.entered"),
        audit
    );
    assert_eq!(num(&s, "components.AuditMachine.failed"), audit);
    let tasks = num(&s, "components.PaymentsMachine.states.Charge.entered")
        + num(&s, "components.RefundMachine.states.Refund.entered");
    assert_eq!(num(&s, "components.ChargeFunction.invocations"), tasks);
    assert_eq!(num(&s, "components.PaymentsMachine.failed"), 0.0);
    assert_eq!(num(&s, "components.RefundMachine.failed"), 0.0);
}

#[test]
fn nested_loops_are_bounded() {
    // Three loops of 30 values nested would make 27,000 resources: refused at the section,
    // past the limit, rather than built.
    let values: Vec<String> = (0..30).map(|i| format!("v{i}")).collect();
    let list = format!("[{}]", values.join(", "));
    let text = format!(
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::A:\n    - X\n    - {list}\n    - Fn::ForEach::B:\n        - Y\n        - {list}\n        - Fn::ForEach::C:\n            - Z\n            - {list}\n            - Q${{X}}${{Y}}${{Z}}:\n                Type: AWS::SQS::Queue\n"
    );
    let err = import("loops.yaml", &text).unwrap_err().to_string();
    assert!(
        err.starts_with("loops.yaml:2:1: ")
            && err.contains(&format!(
                "make more than {} entries",
                archsim::limits::MAX_LOOP_ENTRIES
            )),
        "{err}"
    );
}

#[test]
fn a_template_aws_would_refuse_imports_into_a_scenario_that_says_why_it_cannot_run() {
    // Lambda refuses an SQS event source mapping whose queue's visibility timeout (30 s) is
    // shorter than the function's timeout (120 s): lambda:services-sqs-configure.html.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("t.yaml"),
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.h, Runtime: python3.12, Timeout: 120,
      Events: {Q: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}}}
  Q:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 30}
",
    )
    .unwrap();
    let o = crate::archsim(&["import", "t.yaml", "--out", "t.toml"], home.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("t.toml:")
            && err.contains("consumer \"Worker\" has a function timeout of 120s, longer than this queue's `visibility_timeout` (30s)")
            && err.contains("the scenario as imported does not validate"),
        "{err}"
    );
    // It is written, to be fixed; with the queue's timeout raised it runs.
    let text = std::fs::read_to_string(home.path().join("t.toml")).unwrap();
    let fixed = text.replace(
        "visibility_timeout = \"30s\"",
        "visibility_timeout = \"720s\"",
    );
    assert_ne!(fixed, text);
    scenario(&fixed);
}

/// An Auto Scaling group, its target-tracking policy with its own warmup, and a database;
/// `user_data` is the launch template's `UserData` line, if any.
fn group_and_database(user_data: &str) -> String {
    format!(
        "Resources:
  LaunchTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        InstanceType: m5.large
{user_data}
  WebGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: '2'
      MaxSize: '6'
      DefaultInstanceWarmup: 60
      LaunchTemplate:
        LaunchTemplateId: !Ref LaunchTemplate
  CpuPolicy:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties:
      AutoScalingGroupName: !Ref WebGroup
      PolicyType: TargetTrackingScaling
      EstimatedInstanceWarmup: 180
      TargetTrackingConfiguration:
        PredefinedMetricSpecification:
          PredefinedMetricType: ASGAverageCPUUtilization
        TargetValue: 60
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.r6g.large
"
    )
}

#[test]
fn a_target_tracking_policys_warmup_is_its_groups() {
    // aws-facts: §4: a target-tracking policy's EstimatedInstanceWarmup is its warmup (in
    // place of the group's default); without one the policy would wait 300 s.
    let out = import("web.yaml", &group_and_database("")).unwrap();
    let sc = &out.scenario;
    assert!(
        sc.contains("warmup = \"180s\"  # scaling policy CpuPolicy's EstimatedInstanceWarmup"),
        "{sc}"
    );
    assert!(!sc.contains("warmup = \"60s\""), "{sc}");
    // Without the policy's own, the group's default.
    let text = group_and_database("").replace("      EstimatedInstanceWarmup: 180\n", "");
    let sc = import("web.yaml", &text).unwrap().scenario;
    assert!(
        sc.contains("warmup = \"60s\"  # DefaultInstanceWarmup"),
        "{sc}"
    );
}

#[test]
fn user_data_naming_a_database_calls_it_and_a_database_nothing_calls_is_said() {
    let user_data = "        UserData:
          Fn::Base64: !Sub |
            #!/bin/bash
            echo \"DB_HOST=${Database.Endpoint.Address}\" >> /etc/app.env";
    let out = import("web.yaml", &group_and_database(user_data)).unwrap();
    let sc = &out.scenario;
    // The instances are given the database's address: they call it, and the comment says why.
    assert!(
        sc.contains("{ to = \"Database\" },  # assumed from configuration: its launch template LaunchTemplate's UserData names Database's endpoint"),
        "{sc}"
    );
    assert!(
        !out.notes
            .iter()
            .any(|n| n.contains("nothing in the template calls it")),
        "{:?}",
        out.notes
    );
    let s = run(sc);
    assert!(num(&s, "components.Database.reads") + num(&s, "components.Database.writes") > 1_000.0);

    // Without the user data nothing calls the database: no call is made up, and the note
    // says so.
    let out = import("web.yaml", &group_and_database("")).unwrap();
    assert!(
        !out.scenario.contains("{ to = \"Database\" },"),
        "{}",
        out.scenario
    );
    assert!(
        out.notes
            .iter()
            .any(|n| n.starts_with("Database: nothing in the template calls it")),
        "{:?}",
        out.notes
    );
}

#[test]
fn a_template_cloudformation_refuses_is_written_and_its_errors_located() {
    // CloudFormation refuses a `!GetAtt` of a resource the template does not define
    // ("Unresolved resource dependencies"), and SQS a retention under 60 s (aws-facts §15):
    // the scenario is written, each error said where it is, and the import fails.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("t.yaml"),
        "Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !GetAtt Nope.Arn
      MessageRetentionPeriod: 30
",
    )
    .unwrap();
    let o = crate::archsim(&["import", "t.yaml", "--out", "t.toml"], home.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("t.yaml:5:34: resource Q names Nope, which the template does not define")
            && err.contains("Unresolved resource dependencies [Nope]"),
        "{err}"
    );
    assert!(
        err.contains("t.toml:") && err.contains("`retention` is 30s; SQS allows 60s to 14d"),
        "{err}"
    );
    let text = std::fs::read_to_string(home.path().join("t.toml")).unwrap();
    assert!(text.contains("retention = \"30s\""), "{text}");
    // A SAM template's names for what SAM makes (a function's role, the implicit API) are
    // not unresolved.
    let sam = "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.h
      Runtime: python3.12
      Environment: {Variables: {ROLE: !GetAtt FnRole.Arn, API: !Ref ServerlessRestApi}}
      Events: {Get: {Type: Api, Properties: {Path: /, Method: get}}}
";
    assert!(import("sam.yaml", sam).unwrap().refusals.is_empty());
}

#[test]
fn import_leaves_an_existing_scenario_alone_unless_forced() {
    // An imported scenario gets edited (traffic, work): importing again over it must not
    // lose those edits without a word.
    let home = tempfile::tempdir().unwrap();
    let template = "Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {BillingMode: PAY_PER_REQUEST}
";
    std::fs::write(home.path().join("t.yaml"), template).unwrap();
    let edited = "# my edits\n";
    std::fs::write(home.path().join("t.toml"), edited).unwrap();
    let o = crate::archsim(&["import", "t.yaml", "--out", "t.toml"], home.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("t.toml exists: `import` does not replace it") && err.contains("--force"),
        "{err}"
    );
    let kept = std::fs::read_to_string(home.path().join("t.toml")).unwrap();
    assert_eq!(kept, edited);
    let o = crate::archsim(
        &["import", "t.yaml", "--out", "t.toml", "--force"],
        home.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let replaced = std::fs::read_to_string(home.path().join("t.toml")).unwrap();
    assert!(replaced.contains("kind = \"dynamodb\""), "{replaced}");
    // `--force` means nothing without a file to replace.
    let o = crate::archsim(&["import", "t.yaml", "--force"], home.path());
    assert_eq!(o.status.code(), Some(2));
    // A folder is not a file to write, forced or not.
    std::fs::create_dir(home.path().join("out")).unwrap();
    let o = crate::archsim(
        &["import", "t.yaml", "--out", "out", "--force"],
        home.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("out is a folder: --out names the scenario file to write"),
        "{err}"
    );
}

#[test]
fn the_summary_counts_one_component_and_several_components() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("one.yaml"),
        "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties: {BillingMode: PAY_PER_REQUEST}\n",
    )
    .unwrap();
    let o = crate::archsim_ok(&["import", "one.yaml", "--out", "one.toml"], home.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("(YAML): 1 component\n"), "{err}");
    let orders =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import/templates/orders-api.yaml");
    let o = crate::archsim_ok(
        &["import", orders.to_str().unwrap(), "--out", "orders.toml"],
        home.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("(YAML): 3 components\n"), "{err}");
}

#[test]
fn a_websocket_api_keeps_its_29_second_integration_timeout() {
    // aws-facts: §1 integration timeout: WebSocket 29 s (an HTTP API's is 30 s).
    let template = r#"
Resources:
  Chat:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: chat
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Code: { ZipFile: "x" }
      Role: arn:aws:iam::123456789012:role/r
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Handler.Arn}/invocations
      TimeoutInMillis: 29500
"#;
    // Its own 29.5 s (beyond what AWS takes) is held to 29 s too.
    let out = import("chat.yaml", template).unwrap();
    assert!(
        out.scenario.contains("integration_timeout = \"29s\""),
        "{}",
        out.scenario
    );
    archsim::scenario::parse(std::path::Path::new("chat.toml"), &out.scenario)
        .unwrap_or_else(|e| panic!("{e}\n{}", out.scenario));
}

#[test]
fn a_lambda_target_groups_enabled_health_check_is_kept() {
    // A Lambda target is checked only when asked (aws-facts §3): HealthCheckEnabled becomes
    // a `health_check` table, at the defaults.
    let template = |enabled: &str| {
        format!(
            r#"
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: application
      Subnets: [subnet-1, subnet-2]
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: forward
          TargetGroupArn: !Ref Tg
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      TargetType: lambda{enabled}
      Targets:
        - Id: !GetAtt Handler.Arn
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Code: {{ ZipFile: "x" }}
      Role: arn:aws:iam::123456789012:role/r
"#
        )
    };
    let on = import("alb.yaml", &template("\n      HealthCheckEnabled: true")).unwrap();
    assert!(on.scenario.contains("health_check = {}"), "{}", on.scenario);
    let off = import("alb.yaml", &template("")).unwrap();
    assert!(!off.scenario.contains("health_check"), "{}", off.scenario);
}

#[test]
fn a_buckets_arn_and_its_objects_arn_are_imported_apart() {
    // s3:ListBucket is an action on the bucket (`!GetAtt Photos.Arn`), the object actions on
    // its objects (`${Photos.Arn}/*`); the bucket's id stands for both, so each ARN alone is
    // written as archsim's ARN of it, with the id, and SAM's S3ReadPolicy (which grants both)
    // as the id.
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Photos:
    Type: AWS::S3::Bucket
    Properties: { BucketName: photos-bucket }
  Lister:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt ListerRole.Arn
      Environment: { Variables: { BUCKET: !Ref Photos } }
  ListerRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: photos
          PolicyDocument:
            Statement:
              - { Effect: Allow, Action: s3:ListBucket, Resource: !GetAtt Photos.Arn }
              - { Effect: Allow, Action: s3:GetObject, Resource: !Sub "${Photos.Arn}/*" }
              - { Effect: Allow, Action: s3:DeleteObject, Resource: !Sub "arn:${AWS::Partition}:s3:::${Photos}" }
              - { Effect: Allow, Action: s3:PutObject, Resource: "arn:aws:s3:::photos-bucket/*" }
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Policies:
        - S3ReadPolicy: { BucketName: !Ref Photos }
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Policies:
        - S3WritePolicy: { BucketName: !Ref Photos }
"#;
    let out = import("bucket-roles.yaml", template).unwrap();
    let text = &out.scenario;
    for (action, resource) in [
        ("s3:ListBucket", "arn:aws:s3:::Photos"),
        ("s3:GetObject", "arn:aws:s3:::Photos/*"),
        ("s3:DeleteObject", "arn:aws:s3:::Photos"),
        ("s3:PutObject", "arn:aws:s3:::Photos/*"),
    ] {
        let want = format!(
            "{{ actions = [\"{action}\"], effect = \"Allow\", resources = [\"{resource}\"] }}"
        );
        assert!(text.contains(&want), "{want} in:\n{text}");
    }
    assert!(text.contains("\"s3:GetLifecycleConfiguration\"], effect = \"Allow\", resources = [\"Photos\"] },  # SAM policy template S3ReadPolicy"), "{text}");
    // Each function lists, reads and writes: what each role allows, call by call.
    let sc = scenario(&text.replace(
        "mix = [{ op = \"read\", weight = 9 }, { op = \"write\", weight = 1 }]",
        "mix = [{ op = \"list\", weight = 1 }, { op = \"read\", weight = 1 }, { op = \"write\", weight = 1 }]",
    ));
    let decided: Vec<(String, String, String, bool)> = archsim::access::checks(&sc)
        .into_iter()
        .map(|c| {
            (
                sc.components[c.from].id.clone(),
                sc.ops[c.op as usize].clone(),
                c.action,
                c.decision.allowed(),
            )
        })
        .collect();
    let want: Vec<(String, String, String, bool)> = [
        // The DeleteObject statement names the bucket, not its objects: it serves no call,
        // and the write (PutObject) has its own grant.
        ("Lister", "read", "s3:GetObject", true),
        ("Lister", "write", "s3:PutObject", true),
        ("Lister", "list", "s3:ListBucket", true),
        ("Reader", "read", "s3:GetObject", true),
        ("Reader", "write", "s3:PutObject", false),
        ("Reader", "list", "s3:ListBucket", true),
        // SAM's S3WritePolicy grants the writes alone.
        ("Writer", "read", "s3:GetObject", false),
        ("Writer", "write", "s3:PutObject", true),
        ("Writer", "list", "s3:ListBucket", false),
    ]
    .into_iter()
    .map(|(f, o, a, d)| (f.to_string(), o.to_string(), a.to_string(), d))
    .collect();
    assert_eq!(decided, want);
}

#[test]
fn a_stream_mappings_permissions_are_imported_on_the_streams_arn() {
    // SAM adds AWSLambdaDynamoDBExecutionRole to the role it makes for a function with a
    // DynamoDB event (SAM's pull event sources); a policy's `!GetAtt Table.StreamArn` is the
    // table's stream, an ARN of its own beneath the table's, which the table's id does not
    // stand for.
    let template = |resource: &str| {
        format!(
            r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      StreamSpecification: {{ StreamViewType: NEW_IMAGE }}
  Indexer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        Changes:
          Type: DynamoDB
          Properties: {{ Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST }}
  Auditor:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt AuditorRole.Arn
  AuditorRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: stream
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [dynamodb:DescribeStream, dynamodb:GetRecords, dynamodb:GetShardIterator, dynamodb:ListStreams]
                Resource: {resource}
"#
        )
    };
    let text = import("stream-roles.yaml", &template("!GetAtt Orders.StreamArn"))
        .unwrap()
        .scenario;
    assert!(
        text.contains(
            "resources = [\"arn:aws:dynamodb:*:123456789012:table/Orders/stream/*\"] },  # stream"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "# AWS managed policy AWSLambdaDynamoDBExecutionRole, which SAM adds for event Changes"
        ),
        "{text}"
    );
    // The SAM event makes Indexer the stream's consumer; each function reading it (Auditor
    // put in its place): both roles allow the mapping.
    assert!(
        text.contains("stream = { consumer = \"Indexer\" }"),
        "{text}"
    );
    let reads = |text: &str, function: &str| {
        text.replace(
            "consumer = \"Indexer\"",
            &format!("consumer = \"{function}\""),
        )
    };
    for function in ["Indexer", "Auditor"] {
        let sc = reads(&text, function);
        assert!(
            sc.contains(&format!("stream = {{ consumer = \"{function}\" }}")),
            "{sc}"
        );
        scenario(&sc);
    }
    // Granted on the table's own ARN, the stream actions do not reach its stream: Lambda
    // refuses the mapping, and so does the scenario.
    let text = import("stream-roles.yaml", &template("!GetAtt Orders.Arn"))
        .unwrap()
        .scenario;
    assert!(
        text.contains("resources = [\"Orders\"] },  # stream"),
        "{text}"
    );
    let refused = crate::refused(&reads(&text, "Auditor"));
    assert!(
        refused.contains("which does not allow dynamodb:DescribeStream, dynamodb:GetRecords, dynamodb:GetShardIterator, dynamodb:ListStreams on arn:aws:dynamodb:home:123456789012:table/Orders/stream/*"),
        "{refused}"
    );
}

#[test]
fn an_aurora_clusters_instances_get_a_class_aurora_runs() {
    // AWS, "Supported DB engines for DB instance classes" (Aurora User Guide): Aurora runs
    // db.r* and db.t3/db.t4g medium and large, no db.m*. A writer in db.r6g.12xlarge (a
    // size archsim's table lacks) must not stand in as db.m5.large, and a db.m5.large written
    // in the template (which AWS would refuse) becomes an Aurora class too, said so.
    for (class, want, why) in [
        (
            "db.r6g.12xlarge",
            "db.r5.large",
            "it is not in archsim's table",
        ),
        ("db.m5.large", "db.r5.large", "Aurora does not run it"),
        (
            "db.t3.medium",
            "db.t4g.medium",
            "it is not in archsim's table",
        ),
        ("db.r7g.xlarge", "db.r7g.xlarge", ""),
    ] {
        let template = format!(
            "Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties: {{Engine: aurora-postgresql}}
  Writer:
    Type: AWS::RDS::DBInstance
    Properties: {{Engine: aurora-postgresql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: {class}}}
  Reader:
    Type: AWS::RDS::DBInstance
    Properties: {{Engine: aurora-postgresql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: {class}}}
"
        );
        let out = import("aurora.yaml", &template).unwrap();
        let sc = &out.scenario;
        assert!(
            sc.contains(&format!("instance_class = \"{want}\"")),
            "{class}: {sc}"
        );
        assert!(sc.contains("deployment = \"aurora\""), "{sc}");
        if !why.is_empty() {
            assert!(
                sc.contains(&format!("DBInstanceClass {class}: {why}; {want}")),
                "{sc}"
            );
        }
        let s = run(sc);
        assert!(num(&s, "components.Cluster.reads") > 0.0, "{class}");
    }
}

#[test]
fn a_memcached_cluster_keeps_its_node_count() {
    // NumCacheNodes of a Memcached cluster is how many nodes its keys are spread over: the
    // cache's `nodes` (aws-facts §6: a lost node loses about 1/N of the keys).
    let template = r#"
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Reader:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: { ZipFile: "def handler(e, c): pass" }
      Role: arn:aws:iam::123456789012:role/reader
      Environment:
        Variables:
          TABLE: !Ref Items
          MEMCACHED: !GetAtt Sessions.ConfigurationEndpoint.Address
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - { AttributeName: id, AttributeType: S }
      KeySchema:
        - { AttributeName: id, KeyType: HASH }
  Sessions:
    Type: AWS::ElastiCache::CacheCluster
    Properties:
      Engine: memcached
      CacheNodeType: cache.r6g.large
      NumCacheNodes: 4
"#;
    let out = import("memcached.yaml", template).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.scenario.contains("nodes = 4  # NumCacheNodes"),
        "{}",
        out.scenario
    );
    scenario(&out.scenario);
}

/// The first diagram line of component `id` of an imported scenario: its memory and, when it
/// is not x86_64, its architecture.
fn function_line(scenario_text: &str, id: &str) -> String {
    let sc = scenario(scenario_text);
    component(&sc, id).spec.summary_lines()[0].clone()
}

#[test]
fn a_functions_architectures_are_its_architecture_in_every_dialect() {
    // CreateFunction's `Architectures` is a list of one word, x86_64 (the default) or arm64.
    // SAM's `Globals` give it to every function that does not say its own; a plain
    // CloudFormation function says its own; a function that says nothing is x86_64.
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Architectures: [arm64]
    MemorySize: 512
Resources:
  FromGlobals:
    Type: AWS::Serverless::Function
    Properties: { Runtime: python3.12, Handler: app.handler, CodeUri: src/ }
  OwnX86:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Architectures: [x86_64]
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Code: { ZipFile: "x" }
      Role: arn:aws:iam::123456789012:role/r
      MemorySize: 256
      Architectures: [arm64]
  Unsaid:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Code: { ZipFile: "x" }
      Role: arn:aws:iam::123456789012:role/r
"#;
    let out = import("arch.yaml", template).unwrap();
    let sc = &out.scenario;
    assert_eq!(sc.matches("architecture = \"arm64\"").count(), 2, "{sc}");
    assert_eq!(function_line(sc, "FromGlobals"), "512 MB arm64, timeout 3s");
    assert_eq!(function_line(sc, "OwnX86"), "512 MB, timeout 3s");
    assert!(sc.contains("architecture = \"x86_64\""), "{sc}");
    assert_eq!(function_line(sc, "Plain"), "256 MB arm64, timeout 3s");
    assert_eq!(function_line(sc, "Unsaid"), "128 MB, timeout 3s");

    // Terraform's `architectures`, as a plan writes it.
    let plan = r#"{
  "format_version": "1.2",
  "planned_values": { "root_module": { "resources": [
    { "address": "aws_lambda_function.worker", "mode": "managed",
      "type": "aws_lambda_function", "name": "worker",
      "values": { "function_name": "worker", "handler": "app.handler",
                  "runtime": "python3.12", "memory_size": 1024,
                  "architectures": ["arm64"] } }
  ] } }
}"#;
    let out = import("plan.json", plan).unwrap();
    assert_eq!(
        function_line(&out.scenario, "aws_lambda_function-worker"),
        "1024 MB arm64, timeout 3s",
        "{}",
        out.scenario
    );

    // A word Lambda does not run is left out, said so.
    let out = import("odd.yaml", &template.replace("[x86_64]", "[sparc]")).unwrap();
    assert_eq!(function_line(&out.scenario, "OwnX86"), "512 MB, timeout 3s");
    assert!(
        out.notes.iter().any(|n| n.contains("sparc")),
        "{:?}",
        out.notes
    );
}

#[test]
fn routes_written_as_methods_and_routes_give_each_integration_its_route() {
    // aws-facts: §1: each route of an API has its own integration. Without SAM, a REST API's
    // route is a method on a resource (its path the resources' parts up to the root), an
    // HTTP API's a route whose target names an integration: each integration's call carries
    // its route, as a SAM event's does, so the POST reaches the writing function.
    let rest = imported("templates/rest-api-methods.yaml");
    let sc = &rest.scenario;
    assert!(sc.contains("target = \"GetOrderFunction\""), "{sc}");
    assert!(
        sc.contains("{ op = \"write\", target = \"CreateOrderFunction\" },  # POST /orders: AWS::ApiGateway::Method CreateOrderMethod integrates it"),
        "{sc}"
    );
    // The resources are the API's paths, not resources left out.
    assert!(rest.unmapped.is_empty(), "{:?}", rest.unmapped);
    let s = run(sc);
    assert_eq!(num(&s, "requests.by_status.200"), num(&s, "requests.total"));
    assert!(num(&s, "components.CreateOrderFunction.invocations") > 0.0);

    // An HTTP API: one integration serves POST /orders and DELETE /orders/{id}, each a route
    // of its own; the $default route, which has no path, adds none.
    let http = imported("templates/http-api-routes.yaml");
    let sc = &http.scenario;
    for want in [
        "{ op = \"post /orders\", target = \"WriteOrderFunction\" },  # POST /orders",
        "{ op = \"delete /orders/{id}\", target = \"WriteOrderFunction\" },  # DELETE /orders/{id}",
    ] {
        assert!(sc.contains(want), "{want}: {sc}");
    }
    // It adds no route; its integration is the main target, said so.
    assert!(!sc.contains("op = \"$default"), "{sc}");
    assert!(
        sc.contains("target = \"GetOrderFunction\"  # AWS::ApiGatewayV2::Integration ReadIntegration integrates it for the $default route"),
        "{sc}"
    );
    assert!(http.unmapped.is_empty(), "{:?}", http.unmapped);
    let s = run(sc);
    assert!(num(&s, "components.WriteOrderFunction.invocations") > 0.0);
    assert!(num(&s, "components.GetOrderFunction.invocations") > 0.0);

    // A Terraform plan: the REST integration's method is the method it names
    // (`http_method = aws_api_gateway_method.get_item.http_method`), its path the resources'
    // parts; the HTTP API's routes name their integrations by reference.
    let tf = imported("terraform/routes-plan.json");
    let sc = &tf.scenario;
    for want in [
        "{ op = \"write\", target = \"aws_lambda_function-writer\" },  # PUT /items/{id}",
        "{ op = \"read\", target = \"aws_lambda_function-reader\" },  # GET /events",
        "mix = [{ op = \"read\", weight = 9 }, { op = \"write\", weight = 1 }]",
    ] {
        assert!(sc.contains(want), "{want}: {sc}");
    }
    assert!(tf.unmapped.is_empty(), "{:?}", tf.unmapped);
    let s = run(sc);
    assert!(num(&s, "components.aws_lambda_function-writer.invocations") > 0.0);
    assert!(num(&s, "components.aws_lambda_function-reader.invocations") > 0.0);
}

#[test]
fn a_route_key_cannot_write_into_the_scenario() {
    // A template is untrusted: a route key holding line breaks and TOML stays inside the
    // comment it is quoted in, one printable line, and adds nothing to the scenario.
    let key = "POST /b\\n]\\n[[expect]]\\nmetric = \\\"latency_ms.p99\\\"\\nmax = 99999\\n[[component]]\\nid = \\\"injected\\\"\\nkind = \\\"service\\\"\\nservice_time = \\\"1ms\\\"\\ncalls = [\\n#";
    let template = format!(
        r#"{{"Resources": {{
  "Api": {{"Type": "AWS::ApiGatewayV2::Api", "Properties": {{"ProtocolType": "HTTP"}}}},
  "IntA": {{"Type": "AWS::ApiGatewayV2::Integration", "Properties": {{"ApiId": {{"Ref": "Api"}}, "IntegrationUri": {{"Fn::GetAtt": ["FnA", "Arn"]}}}}}},
  "IntB": {{"Type": "AWS::ApiGatewayV2::Integration", "Properties": {{"ApiId": {{"Ref": "Api"}}, "IntegrationUri": {{"Fn::GetAtt": ["FnB", "Arn"]}}}}}},
  "R1": {{"Type": "AWS::ApiGatewayV2::Route", "Properties": {{"ApiId": {{"Ref": "Api"}}, "RouteKey": "GET /a", "Target": {{"Fn::Sub": "integrations/${{IntA}}"}}}}}},
  "R2": {{"Type": "AWS::ApiGatewayV2::Route", "Properties": {{"ApiId": {{"Ref": "Api"}}, "RouteKey": "{key}", "Target": {{"Fn::Sub": "integrations/${{IntB}}"}}}}}},
  "FnA": {{"Type": "AWS::Lambda::Function", "Properties": {{"Runtime": "python3.12", "Handler": "a.h"}}}},
  "FnB": {{"Type": "AWS::Lambda::Function", "Properties": {{"Runtime": "python3.12", "Handler": "a.h"}}}}
}}}}"#
    );
    let out = import("inject.json", &template).unwrap();
    let sc = scenario(&out.scenario);
    let ids: Vec<&str> = sc.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["Api", "FnA", "FnB"], "{}", out.scenario);
    assert!(sc.expectations.is_empty(), "{}", out.scenario);
    assert!(!out.scenario.contains("\n[[expect]]"), "{}", out.scenario);
}

#[test]
fn an_http_apis_default_route_names_its_main_target() {
    // aws-facts: §1: an HTTP API sends a request no route matches to its `$default` route.
    // Here the GET route's integration is listed first and `$default` targets the writing
    // function's: that function is the API's main target, and the GET keeps its route.
    let text = corpus_text("templates/http-api-routes.yaml").replace(
        "      RouteKey: $default\n      Target: !Sub integrations/${ReadIntegration}",
        "      RouteKey: $default\n      Target: !Sub integrations/${WriteIntegration}",
    );
    assert!(text.contains("integrations/${WriteIntegration}\n\n  CreateOrderRoute"));
    let out = import("default-route.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let sc = &out.scenario;
    assert!(
        sc.contains("target = \"WriteOrderFunction\"  # AWS::ApiGatewayV2::Integration WriteIntegration integrates it for the $default route"),
        "{sc}"
    );
    assert!(
        sc.contains("{ op = \"read\", target = \"GetOrderFunction\" },  # GET /orders/{id}"),
        "{sc}"
    );
    // The scenario runs, each function getting requests. (As the template lists it, with
    // `$default` on the reading function's integration, that function is the main target:
    // `routes_written_as_methods_and_routes_give_each_integration_its_route`.)
    let s = run(sc);
    assert!(num(&s, "components.GetOrderFunction.invocations") > 0.0);
    assert!(num(&s, "components.WriteOrderFunction.invocations") > 0.0);
}

#[test]
fn a_distribution_in_front_asks_for_a_mix_and_an_unset_plan_block_places_nothing() {
    // CloudFront caches reads only: a workload sent to it gets a read/write mix to set, though
    // nothing behind it keeps a list of writes.
    let template = r#"
Resources:
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: { Type: application }
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Lb
      DefaultActions: [{ Type: forward, TargetGroupArn: !Ref Tg }]
  Tg: { Type: AWS::ElasticLoadBalancingV2::TargetGroup }
  Asg:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { MinSize: "2", MaxSize: "4", TargetGroupARNs: [!Ref Tg], LaunchTemplate: { LaunchTemplateId: !Ref Lt, Version: "1" } }
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties: { LaunchTemplateData: { InstanceType: c5.large } }
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Origins: [{ Id: web, DomainName: !GetAtt Lb.DNSName }]
        DefaultCacheBehavior: { DefaultTTL: 60 }
"#;
    let out = import("cdn.yaml", template).unwrap_or_else(|e| panic!("{e}"));
    let sc = &out.scenario;
    assert!(sc.contains("origin = \"Lb\""), "{sc}");
    assert!(
        sc.contains("target = \"Cdn\"\n# starting value: requests per second at your busy hour, from CloudWatch\narrival = { process = \"poisson\", rate = 10 }\n# starting value, a guess: no route of the template says whether its requests read or write; set your share\nmix = "),
        "{sc}"
    );
    // A plan writes a block never set as `[]`: the function is placed in no subnet.
    let plan = corpus_text("terraform/orders-plan.json").replacen(
        "\"function_name\": \"orders-api\",",
        "\"function_name\": \"orders-api\",\n            \"vpc_config\": [],",
        1,
    );
    assert!(plan.contains("\"vpc_config\": []"));
    let out = import("orders-plan.json", &plan).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !out.notes.iter().any(|n| n.contains("placed in subnets")),
        "{:?}",
        out.notes
    );
}

#[test]
fn methods_with_different_integration_timeouts_give_the_api_the_longest_and_a_note() {
    // GET has TimeoutInMillis 5000, POST none (AWS's default, 29 s): the scenario's API has
    // one integration timeout. It used to take GET's 5 s silently, so that POST's requests
    // timed out in the simulation at 5 s where AWS waits 29 s.
    let method = |name: &str, verb: &str, timeout: &str| {
        format!(
            r#"
  {name}:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: {verb}
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations"{timeout}"#
        )
    };
    let template = |get_timeout: &str, post_timeout: &str| {
        format!(
            r#"Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {{ ZipFile: "def handler(e, c): return {{}}" }}
      Role: arn:aws:iam::123456789012:role/fn
  Perm:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: apigateway.amazonaws.com
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: shop{}{}
"#,
            method("GetMethod", "GET", get_timeout),
            method("PostMethod", "POST", post_timeout)
        )
    };
    let five = "\n        TimeoutInMillis: 5000";
    let out = import("shop.yaml", &template(five, "")).unwrap();
    assert!(
        out.scenario
            .contains("integration_timeout = \"29s\"  # the longest of its integrations' timeouts"),
        "{}",
        out.scenario
    );
    assert!(
        out.notes.iter().any(|n| n.contains(
            "Api's integrations time out after different times (GetMethod 5 s, PostMethod 29 s (the default))"
        )),
        "{:?}",
        out.notes
    );
    scenario(&out.scenario);
    // The same timeout on both: that one, from its property, and no note.
    let out = import("shop.yaml", &template(five, five)).unwrap();
    assert!(
        out.scenario
            .contains("integration_timeout = \"5s\"  # TimeoutInMillis"),
        "{}",
        out.scenario
    );
    assert!(!out.notes.iter().any(|n| n.contains("different times")));
}

#[test]
fn an_rds_instances_storage_is_noted_not_dropped_in_silence() {
    // Its volume is an `ebs` component's to simulate; the import does not make one, and says
    // so rather than leave StorageType and AllocatedStorage out without a word.
    let out = imported("templates/mysql-replica.json");
    assert!(
        out.notes.iter().any(|n| n.contains(
            "MainDB's storage (AllocatedStorage 100) is not imported: the database's I/O is not simulated"
        )),
        "{:?}",
        out.notes
    );
}

#[test]
fn deeply_nested_flow_collections_are_refused_at_once() {
    // 200,000 `[` (a 200 KB file) took 52 s to be refused by the YAML reader, whose scanner
    // does work for every open level at each token: counted first, the 129th is refused where
    // it is written (`A: ` is 3 columns, so the 129th `[` is at column 4 + 128).
    let limit = archsim::limits::MAX_TEMPLATE_NESTING;
    for (text, column) in [
        (format!("A: {}", "[".repeat(200_000)), 4 + limit),
        // `{a: ` is 4 columns a level.
        (format!("A: {}", "{a: ".repeat(50_000)), 4 + 4 * limit),
    ] {
        let started = std::time::Instant::now();
        let err = import("deep.yaml", &text).unwrap_err().to_string();
        let took = started.elapsed();
        assert!(
            err.starts_with(&format!("deep.yaml:1:{column}: "))
                && err.contains(&format!("nest more than {limit} deep")),
            "{err}"
        );
        // A pass over 200 KB takes about a millisecond; a second leaves room for a loaded
        // machine, and is fifty times less than before.
        assert!(took.as_secs_f64() < 1.0, "{took:?}");
    }
    // The count follows YAML's tokens through every corpus template (strings, comments, block
    // scalars, tags): a key after the last one with too deep a value is still refused, where
    // it is.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import/templates");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = text.trim_end().lines().count();
        let deep = format!("{}\nZz: {}\n", text.trim_end(), "[".repeat(limit + 1));
        let err = import("deep.yaml", &deep).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("deep.yaml:{}:{}: ", lines + 1, 5 + limit)),
            "{}: {err}",
            path.display()
        );
    }
    // Brackets in strings, comments and block scalars open nothing: a template holding many
    // imports.
    let inert = "[".repeat(1_000);
    let text = format!(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: '{inert}'  # {inert}\n      Tags:\n        - Key: a\n          Value: |\n            {inert}\n"
    );
    import("inert.yaml", &text).unwrap();
}

/// The words a refusal of too many resolved bytes starts its reason with, for a template of
/// `len` bytes.
fn resolved_limit(len: usize) -> String {
    use archsim::limits::{MAX_RESOLVED_BYTES, MIN_RESOLVED_BYTES, RESOLVED_PER_TEMPLATE_BYTE};
    let limit = (len * RESOLVED_PER_TEMPLATE_BYTE).clamp(MIN_RESOLVED_BYTES, MAX_RESOLVED_BYTES);
    format!(
        "would take the values put in place of the template's references past {} MiB, the most archsim builds for it ({RESOLVED_PER_TEMPLATE_BYTE} times the template's size",
        limit >> 20
    )
}

/// Imports `text`, which must be refused, in well under a second (it was minutes or an abort
/// for memory before the bound): the message.
fn refused_at_once(text: &str) -> String {
    let started = std::time::Instant::now();
    let err = import("big.yaml", text).unwrap_err().to_string();
    let took = started.elapsed();
    assert!(took.as_secs_f64() < 2.0, "{took:?}: {err}");
    err
}

#[test]
fn a_long_default_named_many_times_is_refused_for_what_it_would_take() {
    // A 1 MB default named 20,000 times (a 1.28 MB template) would be 20 GB once put in place:
    // the import aborted for memory. The budget is 32 times the template's size (about
    // 40 MiB): refused at the resource, the limit named.
    let big = "x".repeat(1 << 20);
    let refs = vec![r#"{"Ref":"P"}"#; 20_000].join(", ");
    let text = format!(
        "Parameters:\n  P:\n    Type: String\n    Default: {big}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: [{refs}]\n"
    );
    let err = refused_at_once(&text);
    assert!(
        err.starts_with("big.yaml:6:3: resource Q: parameter P's default ")
            && err.contains(&resolved_limit(text.len())),
        "{}",
        &err[..err.len().min(500)]
    );
    // The same with a mapping's value, and with SAM's Globals copied into each of 10,000
    // functions.
    let text = format!(
        "Mappings:\n  M:\n    a:\n      b: {big}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: [{}]\n",
        vec!["!FindInMap [M, a, b]"; 20_000].join(", ")
    );
    let err = refused_at_once(&text);
    assert!(
        err.contains("resource Q: mapping M's a.b ") && err.contains(&resolved_limit(text.len())),
        "{}",
        &err[..err.len().min(500)]
    );
    let functions: String = (0..10_000)
        .map(|i| format!("  F{i}: {{Type: AWS::Serverless::Function}}\n"))
        .collect();
    let text = format!(
        "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Description: {big}\nResources:\n{functions}"
    );
    let err = refused_at_once(&text);
    assert!(
        err.contains("SAM's Globals' Description ") && err.contains(&resolved_limit(text.len())),
        "{}",
        &err[..err.len().min(500)]
    );
    // A default named as often as real templates name one imports: 10 kB, 100 times.
    let text = format!(
        "Parameters:\n  P:\n    Type: String\n    Default: {}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: [{}]\n",
        "x".repeat(10_000),
        vec![r#"{"Ref":"P"}"#; 100].join(", ")
    );
    import("small.yaml", &text).unwrap();
}

#[test]
fn a_loops_copies_are_bounded_by_their_size_not_only_their_count() {
    // 5,000 entries (within the loops' 10,000) of a 2 MB fragment: 10 GB of copies, from a
    // 2 MB template. Refused at the section, the limit named.
    let items: Vec<String> = (0..5_000).map(|i| format!("i{i}")).collect();
    let body = "y".repeat((2 << 20) - 60_000);
    let text = format!(
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::L:\n    - X\n    - [{}]\n    - Q${{X}}:\n        Type: AWS::SQS::Queue\n        Properties:\n          Description: {body}\n",
        items.join(",")
    );
    let err = refused_at_once(&text);
    assert!(
        err.starts_with("big.yaml:2:1: the copies Fn::ForEach::L makes ")
            && err.contains(&resolved_limit(text.len())),
        "{}",
        &err[..err.len().min(500)]
    );
    // A small fragment whose identifier, written many times, stands for a long value grows
    // as it is copied: counted too.
    let long: Vec<String> = (0..100)
        .map(|i| format!("{i}{}", "v".repeat(100_000)))
        .collect();
    let text = format!(
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::L:\n    - X\n    - [{}]\n    - Q&{{X}}:\n        Type: AWS::SQS::Queue\n        Properties:\n          Description: '{}'\n",
        long.join(","),
        "${X}".repeat(10_000)
    );
    let err = refused_at_once(&text);
    assert!(
        err.contains(&resolved_limit(text.len())),
        "{}",
        &err[..err.len().min(500)]
    );
}

#[test]
fn a_sub_or_a_join_that_repeats_a_long_value_is_not_built() {
    // A policy's `!Sub` naming a 1 MB variable 20,000 times would be a 20 GB ARN: an entry
    // is at most 2,048 characters, so it is left out as soon as it passes that.
    let started = std::time::Instant::now();
    let text = format!(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {{Runtime: python3.12, Handler: a.h, Role: !GetAtt R.Arn}}\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n              - {{Effect: Allow, Action: 'sqs:SendMessage', Resource: !Sub ['{}', {{V: {}}}]}}\n",
        "${V}".repeat(20_000),
        "v".repeat(1 << 20)
    );
    let out = import("sub.yaml", &text).unwrap();
    assert!(
        out.notes.iter().any(|n| n.starts_with("R's policy p: resource ")
            && n.ends_with("is not a simulated component archsim checks, nor an ARN it can write: left out of the statement")),
        "{:?}",
        out.notes.iter().map(|n| &n[..n.len().min(200)]).collect::<Vec<_>>()
    );
    // A state machine's definition joined with a 100 kB separator between 20,000 parts
    // would be 2 GB: left out, said why.
    let text = format!(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {{Runtime: python3.12, Handler: a.h}}\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      DefinitionString: !Join ['{}', [{}]]\n",
        "s".repeat(100_000),
        vec!["a"; 20_000].join(",")
    );
    let out = import("join.yaml", &text).unwrap();
    assert!(
        out.notes.iter().any(|n| n.starts_with(
            "M is left out: its DefinitionString's Fn::Join repeats its separator into 1999920000 bytes, more than 32 times"
        )),
        "{:?}",
        out.notes
    );
    let took = started.elapsed();
    assert!(took.as_secs_f64() < 2.0, "{took:?}");
}

/// Imports `text` within `secs` (each case here took minutes, or time without end, before
/// its fix), returning what the import gave.
fn within(secs: f64, file: &str, text: &str) -> Result<archsim::import::Imported, String> {
    let started = std::time::Instant::now();
    let out = import(file, text).map_err(|e| e.to_string());
    let took = started.elapsed();
    assert!(took.as_secs_f64() < secs, "{file}: {took:?}");
    out
}

#[test]
fn many_resources_or_names_take_time_in_proportion_to_the_template() {
    // More resources than archsim imports (CloudFormation takes 500): refused at `Resources`.
    let limit = archsim::limits::MAX_TEMPLATE_RESOURCES;
    let listed: String = (0..=limit)
        .map(|i| format!("  R{i}: {{Type: AWS::X::Y}}\n"))
        .collect();
    let err = within(2.0, "many.yaml", &format!("Resources:\n{listed}")).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "many.yaml:1:1: the template declares {} resources, more than the {limit} archsim imports"
            , limit + 1
        )),
        "{err}"
    );
    // As many as it takes, in a 10 MB template, each naming what the template does not
    // define: each is located in one pass over the text, not a pass each (10,000 passes of
    // 10 MB), and its name is looked for near it.
    let filler = "x".repeat(1_000);
    let listed: String = (0..limit - 1)
        .map(|i| {
            format!(
                "  R{i}:\n    Type: AWS::X::Y\n    Properties: {{D: {filler}, A: !Ref 'N:{i}'}}\n"
            )
        })
        .collect();
    let text = format!(
        "Resources:\n{listed}  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {{Runtime: python3.12, Handler: a.h}}\n"
    );
    let out = within(5.0, "big.yaml", &text).unwrap();
    assert_eq!(out.refusals.len(), limit - 1);
    let last = &out.refusals[limit - 2];
    // R9998's properties are on line 4 + 3 × 9,998, its name past `    Properties: {D: `, the
    // filler and `, A: !Ref '`.
    assert_eq!(
        (last.line, last.column),
        (4 + 3 * (limit - 2), 20 + 1_000 + 11 + 1),
        "{last}"
    );
    // One resource naming 100,000 others: each name is kept once by a set, not by a search
    // of those kept (5·10⁹ comparisons).
    let refs: Vec<String> = (0..100_000).map(|i| format!("!Ref A{i}")).collect();
    let text = format!(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {{Runtime: python3.12, Handler: a.h, Tags: [{}]}}\n",
        refs.join(", ")
    );
    let out = within(3.0, "refs.yaml", &text).unwrap();
    assert_eq!(out.refusals.len(), 1);
    // 2,500 security groups (AWS's quota) whose names all make the id `g--`: each id is
    // numbered at once, not after trying each number against every id (n³/3, 5·10⁹).
    let marks = ['.', ',', ';', '/', '@', '+', '=', '~'];
    let names: Vec<String> = (0..2_500)
        .map(|i| {
            let mark = |k: usize| marks[(i >> (3 * k)) % 8];
            format!("g{}{}{}{}", mark(0), mark(1), mark(2), mark(3))
        })
        .collect();
    let groups: String = names
        .iter()
        .map(|n| {
            format!(
                "  '{n}': {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: g}}}}\n"
            )
        })
        .collect();
    let text = format!(
        "Resources:\n{groups}  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {{Runtime: python3.12, Handler: a.h}}\n"
    );
    let out = within(3.0, "groups.yaml", &text).unwrap();
    assert!(
        out.scenario.contains("id = \"g-----2500\""),
        "{}",
        &out.scenario[..2_000]
    );
}

#[test]
fn a_plans_module_outputs_naming_outputs_are_followed_once_each() {
    // 12 modules, each inside the last, whose output names the inner one's ten times: 10¹²
    // ways through them, followed once each (a plan of 4 kB took time without end).
    fn module(depth: usize) -> serde_json::Value {
        let mut refs = vec!["module.m.o".to_string()];
        refs.extend((0..9).map(|i| format!("module.m.o.a{i}")));
        let mut m = serde_json::json!({"outputs": {"o": {"expression": {"references": refs}}}});
        if depth > 0 {
            m["module_calls"] = serde_json::json!({"m": {"module": module(depth - 1)}});
        } else {
            m["outputs"]["o"]["expression"]["references"] =
                serde_json::json!(["aws_sqs_queue.dlq.arn"]);
        }
        m
    }
    let inner = format!("{}aws_sqs_queue.dlq", "module.m.".repeat(13));
    let plan = serde_json::json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {
            "resources": [{"address": "aws_sqs_queue.q", "mode": "managed", "type": "aws_sqs_queue", "values": {"name": "q", "redrive_policy": null}}],
            "child_modules": [{"resources": [{"address": inner, "mode": "managed", "type": "aws_sqs_queue", "values": {"name": "dlq"}}]}]
        }},
        "configuration": {"root_module": {
            "resources": [{"address": "aws_sqs_queue.q", "expressions": {"redrive_policy": {"references": ["module.m.o"]}}}],
            "module_calls": {"m": {"module": module(12)}}
        }}
    });
    let out = within(2.0, "plan.json", &plan.to_string()).unwrap();
    // The queue's redrive policy names the innermost module's queue, through all 13 outputs.
    assert!(
        out.scenario.contains("dead_letter = \""),
        "{}",
        out.scenario
    );
}

#[test]
fn application_auto_scaling_of_a_tables_capacity_is_its_autoscaling() {
    // Read capacity scaled to 200 and write capacity to 100 by target-tracking policies at
    // 70 %: archsim's `autoscaling`, its target a share. The targets' MinCapacity is the
    // table's provisioned units, archsim's floor too: nothing is dropped there; the read
    // policy's cooldowns are.
    let out = imported("templates/table-autoscaling.yaml");
    let sc = &out.scenario;
    assert!(
        sc.contains("autoscaling = { max_rcu = 200.0, max_wcu = 100.0, target = 0.7 }  # Application Auto Scaling's target tracking at 70%; max_rcu scalable target ReadTarget's MaxCapacity; max_wcu scalable target WriteTarget's MaxCapacity"),
        "{sc}"
    );
    assert!(
        !out.unmapped
            .iter()
            .any(|u| u.contains("ApplicationAutoScaling")),
        "{:?}",
        out.unmapped
    );
    assert!(
        out.notes.iter().any(|n| n.starts_with(
            "scaling policy ReadPolicy's ScaleInCooldown and ScaleOutCooldown are not simulated"
        )),
        "{:?}",
        out.notes
    );
    assert!(
        !out.notes.iter().any(|n| n.contains("MinCapacity")),
        "{:?}",
        out.notes
    );
    // It runs, and scales: the function reads the table about 9 times a second, above 70 %
    // of its 5 units, so over 10 minutes its read capacity rises past them.
    let s = run(&sc.replace("duration = \"2m\"", "duration = \"10m\""));
    let capacity = num(&s, "components.OrdersTable.read_capacity_mean");
    assert!(capacity > 5.0, "{capacity}");

    // Terraform's: policies at 60 % and 50 %; archsim's table has one target, the lower, said.
    let out = imported("terraform/table-autoscaling-plan.json");
    assert!(
        out.scenario
            .contains("autoscaling = { max_rcu = 200.0, max_wcu = 100.0, target = 0.5 }"),
        "{}",
        out.scenario
    );
    assert!(
        out.notes.iter().any(|n| n == "aws_dynamodb_table.orders's policies track 60% (aws_appautoscaling_policy.read) and 50% (aws_appautoscaling_policy.write): archsim's table has one target for both, the lower"),
        "{:?}",
        out.notes
    );
    scenario(&out.scenario);

    // Reads alone scaled, from a minimum below the table's units: writes keep their units
    // (max_wcu = wcu), and the minimum is said to be dropped.
    let text = corpus_text("templates/table-autoscaling.yaml");
    let cut = text.find("  WriteTarget:").unwrap();
    let end = text.find("  Writer:").unwrap();
    let reads_only =
        format!("{}{}", &text[..cut], &text[end..]).replace("MinCapacity: 5", "MinCapacity: 1");
    let out = import("t.yaml", &reads_only).unwrap();
    assert!(
        out.scenario
            .contains("autoscaling = { max_rcu = 200.0, max_wcu = 5.0, target = 0.7 }"),
        "{}",
        out.scenario
    );
    assert!(
        out.notes.iter().any(|n| n.starts_with(
            "scalable target ReadTarget's MinCapacity (1) is not simulated"
        )),
        "{:?}",
        out.notes
    );
    // Every policy of a side is said: one listed after the side's target-tracking policy,
    // step scaling or a second target tracking, is left out with a note.
    let more = format!(
        "{text}  StepPolicy:\n    Type: AWS::ApplicationAutoScaling::ScalingPolicy\n    Properties: {{PolicyName: s, PolicyType: StepScaling, ScalingTargetId: !Ref ReadTarget, StepScalingPolicyConfiguration: {{AdjustmentType: ChangeInCapacity}}}}\n  ReadPolicy2:\n    Type: AWS::ApplicationAutoScaling::ScalingPolicy\n    Properties: {{PolicyName: r2, PolicyType: TargetTrackingScaling, ScalingTargetId: !Ref ReadTarget, TargetTrackingScalingPolicyConfiguration: {{TargetValue: 50}}}}\n"
    );
    let out = import("t.yaml", &more).unwrap();
    for said in [
        "scaling policy StepPolicy is not target tracking: archsim's tables scale by target tracking only, so it is left out",
        "scaling policy ReadPolicy2 is left out: archsim's table has one target-tracking policy for its reads, ReadPolicy's",
    ] {
        assert!(out.notes.iter().any(|n| n == said), "{said}\n{:?}", out.notes);
    }
    // A scalable target of another service is said not to be simulated.
    let ecs = format!(
        "{text}  Service:\n    Type: AWS::ApplicationAutoScaling::ScalableTarget\n    Properties: {{ServiceNamespace: ecs, ScalableDimension: 'ecs:service:DesiredCount', ResourceId: service/c/s, MinCapacity: 1, MaxCapacity: 4}}\n"
    );
    let out = import("t.yaml", &ecs).unwrap();
    assert!(
        out.notes.iter().any(|n| n == "Service (AWS::ApplicationAutoScaling::ScalableTarget) scales ecs ecs:service:DesiredCount, which archsim does not simulate: left out"),
        "{:?}",
        out.notes
    );
}

#[test]
fn a_plans_user_data_naming_addresses_gives_its_group_their_calls() {
    // The launch template's `user_data` renders the database's and the cache's addresses:
    // the group's instances connect to them, as CloudFormation's `UserData` naming their
    // endpoints says. The plan keeps each reference's attribute (`address`,
    // `primary_endpoint_address`), which tells an address from a name or an ARN.
    let out = imported("terraform/web-worker-plan.json");
    let sc = &out.scenario;
    assert!(
        sc.contains("{ to = \"aws_elasticache_replication_group-cache\" },  # assumed from configuration: its launch template aws_launch_template.web's user_data names aws_elasticache_replication_group.cache's endpoint"),
        "{sc}"
    );
    assert!(sc.contains("backend = \"aws_db_instance-db\""), "{sc}");
    // The database's `address` is read as a connection too: the group's call to it goes
    // through the cache, said (the cache's backend alone would be set without it).
    let said = "aws_autoscaling_group-web calls aws_db_instance-db through aws_elasticache_replication_group-cache, which stands in front of it";
    assert!(out.notes.iter().any(|n| n == said), "{:?}", out.notes);
    let s = run(sc);
    assert!(
        num(
            &s,
            "components.aws_elasticache_replication_group-cache.requests"
        ) > 1_000.0
    );
}

#[test]
fn a_plans_redrive_policy_keeps_its_receive_count_and_finds_its_queue_by_name() {
    let out = imported("terraform/web-worker-plan.json");
    let sc = &out.scenario;
    // A redrive policy the plan knows, a JSON string: its maxReceiveCount, not 10 asked for.
    assert!(
        sc.contains(
            "dead_letter = \"aws_sqs_queue-dlq\"  # redrive_policy's deadLetterTargetArn\n"
        ) && sc.contains("max_receive_count = 3  # redrive_policy's maxReceiveCount"),
        "{sc}"
    );
    assert!(!sc.contains("maxReceiveCount is not a literal"), "{sc}");
    // One whose ARN the configuration does not refer to (a variable): the queue of the plan
    // named as the ARN's last part.
    assert!(
        sc.contains("dead_letter = \"aws_sqs_queue-events_dlq\"  # redrive_policy's deadLetterTargetArn, the queue of that name")
            && sc.contains("max_receive_count = 5  # redrive_policy's maxReceiveCount"),
        "{sc}"
    );
    // A dead-letter queue the plan does not hold is said, and left out.
    let text = corpus_text("terraform/web-worker-plan.json").replace("\"events-dlq\"", "\"other\"");
    let out = import("plan.json", &text).unwrap();
    assert!(
        out.notes.iter().any(|n| n == "aws_sqs_queue.events's redrive_policy names arn:aws:sqs:eu-west-1:123456789012:events-dlq, which is no queue of the template: its dead-letter queue is left out"),
        "{:?}",
        out.notes
    );
}

#[test]
fn a_groups_zones_and_its_instances_monitoring_are_carried_over() {
    // The zones a group launches into are its `zones` (an `az_outage` of one then reaches
    // it), and a launch template's detailed monitoring (1-minute CPU datapoints) its
    // `monitoring`; a plan's and a template's alike.
    let out = imported("terraform/web-worker-plan.json");
    assert!(
        out.scenario.contains(
            "zones = [\"eu-west-1a\", \"eu-west-1b\"]  # availability_zones\nmonitoring = \"detailed\"  # aws_launch_template.web's monitoring.enabled\n"
        ),
        "{}",
        out.scenario
    );
    let detailed = group_and_database("        Monitoring:\n          Enabled: true").replace(
        "      MinSize: '2'",
        "      AvailabilityZones: [us-east-1a, us-east-1b, us-east-1a]\n      MinSize: '2'",
    );
    let out = import("web.yaml", &detailed).unwrap();
    let sc = &out.scenario;
    assert!(
        sc.contains("zones = [\"us-east-1a\", \"us-east-1b\"]  # AvailabilityZones")
            && sc.contains(
                "monitoring = \"detailed\"  # LaunchTemplate's LaunchTemplateData.Monitoring.Enabled"
            ),
        "{sc}"
    );
    assert!(
        !out.notes.iter().any(|n| n.contains("basic monitoring")),
        "{:?}",
        out.notes
    );
    // Its zones place it: an outage of one takes its instances there out.
    let outage = format!(
        "{sc}\n[[fault]]\nat = \"30s\"\nfor = \"30s\"\nkind = \"az_outage\"\naz = \"us-east-1a\"\n"
    );
    scenario(&outage);
    // Without: basic monitoring, as the stack has it, said; zones the template does not
    // write out are said too.
    let basic = group_and_database("").replace(
        "      MinSize: '2'",
        "      AvailabilityZones: !GetAZs ''\n      MinSize: '2'",
    );
    let out = import("web.yaml", &basic).unwrap();
    assert!(
        out.scenario.contains("monitoring = \"basic\"  # LaunchTemplate's LaunchTemplateData.Monitoring.Enabled is not set: basic monitoring by default"),
        "{}",
        out.scenario
    );
    assert!(
        out.notes.iter().any(|n| n.starts_with(
            "WebGroup's instances have basic monitoring (5-minute CPU periods), as the stack has them"
        )),
        "{:?}",
        out.notes
    );
    assert!(
        out.notes
            .iter()
            .any(|n| n
                .starts_with("WebGroup's AvailabilityZones are not written out in the template")),
        "{:?}",
        out.notes
    );
    assert!(!out.scenario.contains("zones = "), "{}", out.scenario);
}

/// A REST API (SAM's implicit one) whose events, with `methods`, invoke one function that may
/// only read the table it names.
fn reader_api(methods: &[&str]) -> String {
    let events: String = methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            format!("        E{i}:\n          Type: Api\n          Properties: {{Path: /items/{i}, Method: {m}}}\n")
        })
        .collect();
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  ReadFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      MemorySize: 1024
      Environment: {{Variables: {{TABLE: !Ref Items}}}}
      Policies:
        - DynamoDBReadPolicy: {{TableName: !Ref Items}}
      Events:
{events}  Items:
    Type: AWS::Serverless::SimpleTable
"
    )
}

#[test]
fn an_apis_mix_is_what_its_routes_methods_say() {
    // Only GET and HEAD routes, to a function whose role may only read: every request reads,
    // so no call is denied (an invented one in ten writes made about 120 denials in a stack
    // that works).
    let out = import("reads.yaml", &reader_api(&["get", "head", "GET"])).unwrap();
    let sc = &out.scenario;
    assert!(
        sc.contains("# its routes only read (GET, HEAD): every request is a read\nmix = [{ op = \"read\", weight = 1 }]\n"),
        "{sc}"
    );
    assert!(
        out.asks
            .iter()
            .any(|a| a.ends_with("mix (reads only, as its routes' methods say: GET, HEAD)")),
        "{:?}",
        out.asks
    );
    let s = run(sc);
    assert!(num(&s, "components.Items.requests") > 1_000.0);
    assert!(
        archsim::metrics::pointer(&s, "components.ReadFn.access.denied.Items")
            .is_none_or(|d| d == 0.0),
        "{}",
        serde_json::to_string(&s).unwrap_or_default()
    );
    // Reads and writes: their share is a starting value, said to be between the routes'.
    let out = import("both.yaml", &reader_api(&["get", "put"])).unwrap();
    assert!(
        out.scenario.contains("# starting value: your share of its routes' reads (GET) and writes (PUT)\nmix = [{ op = \"read\", weight = 9 }, { op = \"write\", weight = 1 }]\n"),
        "{}",
        out.scenario
    );
    // A route that may do either (ANY) says nothing: the share is a guess, and said to be.
    let out = import("any.yaml", &reader_api(&["any"])).unwrap();
    assert!(
        out.scenario.contains("# starting value, a guess: no route of the template says whether its requests read or write; set your share\nmix = [{ op = \"read\", weight = 9 }, { op = \"write\", weight = 1 }]\n"),
        "{}",
        out.scenario
    );
}

#[test]
fn a_group_reading_its_database_through_a_cache_calls_only_the_cache() {
    // Its launch template's user data names the database's and the cache's endpoints: the
    // cache stands in front of the database (cache-aside), and the group's call to the
    // database goes through it, as a function's does; no direct call is left beside it.
    let user_data = "        UserData:
          Fn::Base64: !Sub |
            #!/bin/bash
            echo \"DB_HOST=${Database.Endpoint.Address}\" >> /etc/app.env
            echo \"CACHE_HOST=${Cache.PrimaryEndPoint.Address}\" >> /etc/app.env";
    let text = format!(
        "{}  Cache:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties:
      ReplicationGroupDescription: sessions
      Engine: redis
      CacheNodeType: cache.r6g.large
      NumCacheClusters: 2
",
        group_and_database(user_data)
    );
    let out = import("web.yaml", &text).unwrap();
    let sc = &out.scenario;
    assert!(
        sc.contains("calls = [\n  { to = \"Cache\" },  # assumed from configuration: its launch template LaunchTemplate's UserData names Cache's endpoint\n]\n"),
        "{sc}"
    );
    assert!(!sc.contains("{ to = \"Database\" }"), "{sc}");
    assert!(sc.contains("backend = \"Database\""), "{sc}");
    assert!(
        out.notes
            .iter()
            .any(|n| n == "WebGroup calls Database through Cache, which stands in front of it"),
        "{:?}",
        out.notes
    );
    // Every request the group serves reads the cache; its misses reach the database.
    let s = run(sc);
    assert!(num(&s, "components.Cache.requests") > 1_000.0);
    assert!(num(&s, "components.Database.reads") + num(&s, "components.Database.writes") > 0.0);
}

/// `archsim import` of a corpus file (a path below `tests/import/`) through the binary,
/// written to a file of its own: the exit status, standard error and the scenario written.
fn import_cli(rel: &str) -> (i32, String, String) {
    let stem = Path::new(rel).file_stem().unwrap().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{stem}.toml"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/import")
        .join(rel);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("import")
        .arg(&src)
        .arg("--out")
        .arg(&file)
        .output()
        .expect("archsim runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        std::fs::read_to_string(&file).unwrap_or_default(),
    )
}

#[test]
fn a_call_assumed_from_a_variable_carries_what_its_role_allows() {
    // SAM's Globals give every function the table's name. The orders function may read and
    // write it (CRUD) and serves GETs and POSTs: its call stays as it is. The worker gets
    // the orders' operations through the queue, and its role allows writes alone: its call
    // carries the write. The health check's role allows nothing on the table: the template
    // says it does not use it, and no call is written. Each change is said, on standard
    // error and in the scenario's notes.
    let (code, err, sc) = import_cli("templates/roles-narrow-calls.yaml");
    assert_eq!(code, 0, "{err}");
    let block = |id: &str| {
        let at = sc.find(&format!("id = \"{id}\"")).unwrap();
        let end = sc[at..].find("\n\n").map_or(sc.len(), |e| at + e);
        sc[at..end].to_string()
    };
    assert!(
        block("OrdersFn").contains("  { to = \"OrdersTable\" },"),
        "{sc}"
    );
    assert!(
        block("WorkerFn").contains("  { to = \"OrdersTable\", op = \"write\" },"),
        "{sc}"
    );
    let ping = block("PingFn");
    assert!(
        !ping.contains("OrdersTable") && !ping.contains("calls = ["),
        "{ping}"
    );
    for said in [
        "PingFn → OrdersTable (assumed from configuration) is not written: its role PingFnRole allows no action on OrdersTable",
        "WorkerFn → OrdersTable carries `write` alone: its role WorkerFnRole allows that and denies dynamodb:GetItem",
    ] {
        assert!(err.contains(said), "{said}\n{err}");
        assert!(sc.contains(&format!("#   {said}")), "{said}\n{sc}");
    }
    // Nothing is denied when it runs, nor warned of when it is imported.
    assert!(
        !err.lines()
            .any(|l| l.contains(": warning: ") && l.contains("denies")),
        "{err}"
    );
    let s = run(&sc);
    assert!(archsim::metrics::pointer(&s, "requests.by_status.403").is_none());
    let denied = ["OrdersFn", "WorkerFn", "PingFn"]
        .iter()
        .any(|f| archsim::metrics::pointer(&s, &format!("components.{f}.access")).is_some());
    assert!(
        !denied,
        "{}",
        serde_json::to_string(&s["components"]).unwrap()
    );
    assert!(num(&s, "components.OrdersTable.write_units_consumed") > 0.0);
}

#[test]
fn a_role_that_uses_a_table_but_lacks_the_write_keeps_the_call_and_warns() {
    // The function's role may read the table (DynamoDBReadPolicy) and its one route is a
    // POST: a missing permission, perhaps the template's own bug. The call is left as it is,
    // and the import warns of the denial that every run of it will show.
    let (code, err, sc) = import_cli("templates/iam-missing-write.yaml");
    assert_eq!(code, 0, "{err}");
    assert!(sc.contains("  { to = \"OrdersTable\" },"), "{sc}");
    let warning = err
        .lines()
        .find(|l| l.contains(": warning: ") && l.contains("dynamodb:PutItem"))
        .unwrap_or_else(|| panic!("no warning of the denied write in:\n{err}"));
    assert!(warning.contains("\"OrdersFnRole\" denies"), "{warning}");
    assert!(
        !err.contains("alone") && !err.contains("is not written: its role"),
        "{err}"
    );
}

#[test]
fn a_plans_policy_known_only_after_apply_leaves_its_functions_calls_unchecked() {
    // A plan for a new stack: the policy's document is built from the table's ARN, which
    // the apply makes, so the plan holds no value for it, only the configuration's
    // references. Its statements are unknown: checking the function's calls against the
    // rest of the role (the logs policy) would deny every one. The function assumes no
    // role in the scenario, and the note says why.
    let mut plan: serde_json::Value =
        serde_json::from_str(&corpus_text("terraform/iam-plan.json")).unwrap();
    let resources = |p: &mut serde_json::Value, part: &str| -> Vec<serde_json::Value> {
        p[part]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .clone()
    };
    let mut planned = resources(&mut plan, "planned_values");
    for r in &mut planned {
        if r["address"] == "aws_iam_role_policy.table" {
            r["values"].as_object_mut().unwrap().remove("policy");
        }
    }
    plan["planned_values"]["root_module"]["resources"] = planned.into();
    let mut configured = resources(&mut plan, "configuration");
    for r in &mut configured {
        if r["address"] == "aws_iam_role_policy.table" {
            r["expressions"]["policy"] = serde_json::json!({
                "references": ["aws_dynamodb_table.orders.arn", "aws_dynamodb_table.orders"]
            });
        }
    }
    plan["configuration"]["root_module"]["resources"] = configured.into();
    let out = import("plan.json", &plan.to_string()).unwrap();
    assert!(
        !out.scenario.contains("role = \"aws_iam_role-api\""),
        "{}",
        out.scenario
    );
    let note = out
        .notes
        .iter()
        .find(|n| n.contains("known only after apply"))
        .unwrap_or_else(|| panic!("{:?}", out.notes));
    assert!(
        note.contains("aws_iam_role_policy.table") && note.contains("calls are not checked"),
        "{note}"
    );
    assert!(
        !out.notes.iter().any(|n| n.contains("has no Statement")),
        "{:?}",
        out.notes
    );
    let s = run(&out.scenario);
    assert!(archsim::metrics::pointer(&s, "requests.by_status.403").is_none());
    assert!(
        num(
            &s,
            "components.aws_dynamodb_table-orders.write_units_consumed"
        ) > 0.0
    );
}

#[test]
fn a_listener_rules_targets_are_written_only_where_the_default_forwards_to_none() {
    // The listener's default action forwards to an Auto Scaling group; a rule sends
    // /webhooks/* to a function. archsim's load balancer sends every request alike to all its
    // targets, so the rule's function is not made a target (it would take half the
    // requests), and the note says so.
    let template = |default_group: &str, extra: &str| {
        format!(
            r#"
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: forward
          TargetGroupArn: !Ref {default_group}
  WebhookRule:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Priority: 10
      Conditions:
        - Field: path-pattern
          PathPatternConfig: {{Values: ['/webhooks/*']}}
      Actions:
        - Type: forward
          TargetGroupArn: !Ref WebhookTargets
  WebTargets:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Port: 80
      Protocol: HTTP
      VpcId: vpc-1
  WebhookTargets:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      TargetType: lambda
      Targets:
        - Id: !GetAtt WebhookFunction.Arn
  WebhookFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: {{ ZipFile: "x" }}
      Role: arn:aws:iam::123456789012:role/hook
  Web:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: '2'
      MaxSize: '4'
      TargetGroupARNs: [!Ref WebTargets]
      LaunchTemplate:
        LaunchTemplateId: !Ref WebTemplate
        Version: '1'
  WebTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        InstanceType: m5.large
{extra}"#
        )
    };
    let out = import("alb.yaml", &template("WebTargets", "")).unwrap();
    assert!(
        out.scenario.contains("targets = \"Web\""),
        "{}",
        out.scenario
    );
    assert!(!out
        .scenario
        .contains("targets = [\"Web\", \"WebhookFunction\"]"));
    assert!(
        out.notes.iter().any(|n| n.starts_with(
            "WebhookRule forwards the requests its conditions match to target group WebhookTargets"
        ) && n
            .contains("only the listener's default targets are written")),
        "{:?}",
        out.notes
    );
    let sc = scenario(&out.scenario);
    assert!(sc.components.iter().any(|c| c.id == "Web"));

    // The default forwards to ECS tasks, which archsim does not simulate: the rule is where
    // the requests can go, and both notes say what the scenario then does.
    let ecs = "  Service:\n    Type: AWS::ECS::Service\n    Properties:\n      LoadBalancers:\n        - ContainerName: app\n          ContainerPort: 8080\n          TargetGroupArn: !Ref AppTargets\n  AppTargets:\n    Type: AWS::ElasticLoadBalancingV2::TargetGroup\n    Properties:\n      TargetType: ip\n      Port: 8080\n      Protocol: HTTP\n      VpcId: vpc-1\n";
    let out = import("alb.yaml", &template("AppTargets", ecs)).unwrap();
    assert!(
        out.scenario.contains("targets = \"WebhookFunction\""),
        "{}",
        out.scenario
    );
    // The default forwards to an EC2 instance, a type the import does not map: the rule's
    // function is the one target there is.
    let instance = "  Web1:\n    Type: AWS::EC2::Instance\n    Properties:\n      InstanceType: m5.large\n  AppTargets:\n    Type: AWS::ElasticLoadBalancingV2::TargetGroup\n    Properties:\n      TargetType: instance\n      Port: 80\n      Protocol: HTTP\n      VpcId: vpc-1\n      Targets:\n        - Id: !Ref Web1\n";
    let alone = import("alb.yaml", &template("AppTargets", instance)).unwrap();
    assert!(
        alone.scenario.contains("targets = \"WebhookFunction\""),
        "{}",
        alone.scenario
    );
    for said in [
        "target group AppTargets's targets are the tasks of ECS service Service, which archsim does not simulate",
        "WebhookRule forwards the requests its conditions match, and the listener's default action forwards to no simulated target",
    ] {
        assert!(out.notes.iter().any(|n| n.starts_with(said)), "{said}: {:?}", out.notes);
    }
}

#[test]
fn a_stream_event_becomes_the_tables_stream_with_its_settings() {
    // A SAM DynamoDB event and an event source mapping on a table's stream: the function is
    // the table's `stream` consumer, with the mapping's settings, the on-failure queue
    // among them (the kind reads them; they had been dropped with a note that the table
    // sends nothing on).
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      StreamSpecification: { StreamViewType: NEW_IMAGE }
  Failed:
    Type: AWS::SQS::Queue
  Indexer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: LATEST
            BatchSize: 50
            MaximumBatchingWindowInSeconds: 2
            ParallelizationFactor: 4
            MaximumRetryAttempts: 3
            MaximumRecordAgeInSeconds: -1
            BisectBatchOnFunctionError: true
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig:
              OnFailure:
                Destination: !GetAtt Failed.Arn
"#;
    let out = import("stream.yaml", text).unwrap();
    let sc = scenario(&out.scenario);
    let line = out
        .scenario
        .lines()
        .find(|l| l.starts_with("stream = "))
        .unwrap_or_else(|| panic!("{}", out.scenario));
    for part in [
        "consumer = \"Indexer\"",
        "batch_size = 50",
        "maximum_batching_window = \"2s\"",
        "parallelization_factor = 4",
        "maximum_retry_attempts = 3",
        "bisect_batch_on_function_error = true",
        "function_response_types = [\"ReportBatchItemFailures\"]",
        "on_failure = \"Failed\"",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    // -1 is AWS's "no limit": written as the default, not as an age.
    assert!(!line.contains("maximum_record_age"), "{line}");
    assert!(
        !out.notes.iter().any(|n| n.contains("sends no requests on")),
        "{:?}",
        out.notes
    );
    assert!(sc.components.iter().any(|c| c.id == "Orders"));
}
