//! `archsim import` on the corpus of templates in `tests/import/` (written for these tests in
//! the shapes of the common public examples): every template imports into a scenario that parses, runs and matches its golden
//! snapshot; the wiring a template states becomes the calls it implies, and a malformed
//! template is refused with a located message.

use crate::{num, run, scenario};
use archsim::import::{import, Format};
use std::path::Path;

/// Imports a corpus file (a path below `tests/import/`), panicking with the error.
fn imported(rel: &str) -> archsim::import::Imported {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/import")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    import(rel, &text).unwrap_or_else(|e| panic!("{rel} does not import: {e}"))
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
    ("terraform/orders-plan.json", Format::TerraformPlan),
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
}

#[test]
fn a_method_integration_and_a_listener_give_their_edges() {
    // A REST API whose method's integration URI (!Sub …${LambdaFunction.Arn}…) names the
    // function, with its TimeoutInMillis.
    let out = imported("templates/rest-api-lambda.yaml");
    assert!(out.scenario.contains("target = \"LambdaFunction\""));
    assert!(out.scenario.contains("integration_timeout = \"29s\""));
    assert!(out.unmapped.iter().any(|u| u.contains("AWS::IAM::Role")));
    // An ALB whose listener forwards to a target group the Auto Scaling group names, with
    // its launch template's type (t4g.micro, a parameter's default), which the catalogue has.
    let out = imported("templates/web-asg.yaml");
    assert!(out.scenario.contains("targets = \"WebServerGroup\""));
    assert!(out.scenario.contains("instance_type = \"t4g.micro\""));
    assert!(out.scenario.contains("min = 1") && out.scenario.contains("max = 3"));
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
