//! Every kind of component archsim knows, one line each: adding a kind is its folder and a
//! line here (CONTRIBUTING.md says how). Everything else (the scenario's `kind = "…"`, the
//! reports, the JSON Schema) reads this list.

use super::kind::{KindEntry, KindInfo};
use super::{
    api_gateway, cache, cloudfront, dynamodb, ebs, ec2_autoscaling, kms, lambda, load_balancer,
    rds, route53, s3, service, sns, sqs, step_functions,
};

/// Every kind, in the order the reports and the JSON Schema list them.
pub const KINDS: &[KindEntry] = &[
    KindEntry::of::<service::ServiceConfig>(),
    KindEntry::of::<api_gateway::ApiGatewayConfig>(),
    KindEntry::of::<lambda::LambdaConfig>(),
    KindEntry::of::<dynamodb::DynamoConfig>(),
    KindEntry::of::<cache::CacheConfig>(),
    KindEntry::of::<load_balancer::LbConfig>(),
    KindEntry::of::<ec2_autoscaling::AsgConfig>(),
    KindEntry::of::<rds::RdsConfig>(),
    KindEntry::of::<kms::KmsConfig>(),
    KindEntry::of::<cloudfront::CloudFrontConfig>(),
    KindEntry::of::<ebs::EbsConfig>(),
    KindEntry::of::<s3::S3Config>(),
    KindEntry::of::<route53::Route53Config>(),
    KindEntry::of::<sqs::SqsConfig>(),
    KindEntry::of::<sns::SnsConfig>(),
    KindEntry::of::<step_functions::SfnConfig>(),
];

/// The kind named `name`.
pub fn find(name: &str) -> Option<&'static KindEntry> {
    KINDS.iter().find(|k| k.info.name == name)
}

/// What the kind named `name` declares.
pub fn info(name: &str) -> Option<&'static KindInfo> {
    find(name).map(|k| k.info)
}

/// The kind whose AWS name (its `KindInfo::title`, without "Amazon" or "AWS") is `word`,
/// spaces, dashes, underscores and case aside: `elasticache` for `cache`,
/// `elastic-load-balancing` for `load_balancer`. For a suggestion where a user writes the
/// service's name rather than archsim's.
pub fn by_title(word: &str) -> Option<&'static str> {
    let squeeze = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let word = squeeze(word);
    KINDS
        .iter()
        .find(|k| {
            let title = k.info.title;
            let bare = title
                .strip_prefix("Amazon ")
                .or_else(|| title.strip_prefix("AWS "))
                .unwrap_or(title);
            !word.is_empty() && squeeze(bare) == word
        })
        .map(|k| k.info.name)
}

/// Every kind's name, in registry order.
pub fn names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.info.name).collect()
}
