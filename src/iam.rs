//! IAM identity policies as AWS evaluates them: statements of an effect, actions and
//! resources with `*` and `?` wildcards, judged in AWS's order (an explicit deny wins, then an
//! allow, else the implicit deny). Pure functions of a role and a request: no scenario, no
//! component; kinds say which action and resource a call asks for (`Kind::iam_action`,
//! `Kind::iam_resource`).
//!
//! aws-facts: §19 IAM evaluation: every request starts as an implicit deny; an explicit Deny
//! in any applicable policy wins; otherwise an Allow is needed.

/// The account id in the ARNs archsim gives components. A choice: AWS documents this
/// number as its example account; policies may name it or use `*` in its place.
pub const ACCOUNT_ID: &str = "123456789012";

/// The service prefixes of AWS actions that archsim does not model as a kind but that a
/// policy may still grant (AWS's own prefixes): a statement naming them is valid and simply
/// never matches a call in the scenario. Prefixes of modelled services come from the kinds
/// (`Kind::IAM_PREFIX`).
pub const OTHER_PREFIXES: &[&str] = &[
    "cloudwatch",
    "ec2",
    "elasticache",
    "elasticloadbalancing",
    "events",
    "execute-api",
    "firehose",
    "iam",
    "kinesis",
    "logs",
    "rds-db",
    "secretsmanager",
    "ssm",
    "states",
    "sts",
    "xray",
];

/// What a statement does to the requests it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement of a role's policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub effect: Effect,
    /// Action patterns, `service:Action`, with `*` and `?`; matched without regard to case.
    pub actions: Vec<String>,
    /// Its resources, each as written with the ARN patterns it stands for.
    pub resources: Vec<Resource>,
    /// Where the statement is written (line, column), for messages.
    pub position: (usize, usize),
}

/// One entry of a statement's resources: as written, and the patterns it stands for (ARNs,
/// with `*` and `?`, matched with regard to case). An ARN or `*` stands for itself; a
/// component id written in the scenario for each ARN the calls to that component name
/// (`Kind::IAM_PARTS`: a bucket's and its objects').
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub written: String,
    pub patterns: Vec<String>,
}

impl Resource {
    /// An entry that stands for itself: an ARN or `*`.
    pub fn literal(text: impl Into<String>) -> Resource {
        let text = text.into();
        Resource {
            patterns: vec![text.clone()],
            written: text,
        }
    }

    /// Whether one of its patterns matches the ARN.
    pub fn matches(&self, arn: &str) -> bool {
        self.patterns.iter().any(|p| resource_matches(p, arn))
    }
}

/// A role: the identity policy of the components that name it (`role = "…"`).
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    pub id: String,
    pub statements: Vec<Statement>,
    /// Where its `id` is written (line, column).
    pub position: (usize, usize),
}

/// What a callee's kind says a call asks for: the action (without its service prefix), the
/// resource it names, and the error code AWS answers a denial with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IamAction {
    /// The action's name, as AWS spells it: `PutItem`.
    pub name: &'static str,
    /// What of the callee the action names, beyond its ARN (`Kind::iam_resource`): `""` the
    /// resource itself (a table, a queue, a bucket for `ListBucket`), or a part beneath it
    /// (S3's objects, `"/*"`, for `GetObject`), one of the kind's `Kind::IAM_PARTS`.
    pub part: &'static str,
    /// The error code of a denial: `AccessDenied` (S3), `AccessDeniedException` (most JSON
    /// APIs). aws-facts: §19 IAM errors.
    pub error: &'static str,
}

/// AWS's decision on one request, with the statement that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Allowed by this statement (and denied by none).
    Allow(usize),
    /// Denied by this statement, whatever allows it.
    ExplicitDeny(usize),
    /// No statement matches: the implicit deny.
    ImplicitDeny,
}

impl Decision {
    pub fn allowed(self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}

/// AWS's evaluation of `role`'s policy for `action` (`service:Action`) on `resource` (an
/// ARN). aws-facts: §19 IAM evaluation: an explicit deny in any statement wins; otherwise an
/// allow is needed; nothing matching is an implicit deny.
pub fn evaluate(role: &Role, action: &str, resource: &str) -> Decision {
    let mut allow = None;
    for (i, s) in role.statements.iter().enumerate() {
        if !statement_matches(s, action, resource) {
            continue;
        }
        match s.effect {
            Effect::Deny => return Decision::ExplicitDeny(i),
            Effect::Allow => {
                allow.get_or_insert(i);
            }
        }
    }
    allow.map_or(Decision::ImplicitDeny, Decision::Allow)
}

/// Whether a statement applies to the request: one of its actions and one of its resources
/// match.
pub fn statement_matches(s: &Statement, action: &str, resource: &str) -> bool {
    s.actions.iter().any(|p| action_matches(p, action))
        && s.resources.iter().any(|r| r.matches(resource))
}

/// Whether an action pattern matches an action. The IAM reference (policy elements: Action):
/// the prefix and the action name are case insensitive; `*` matches any characters, `?` one.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let a: Vec<char> = action.to_ascii_lowercase().chars().collect();
    wildcard(&p, &a, false)
}

/// Whether a resource pattern matches an ARN, with regard to case. The IAM reference (policy
/// elements: Resource): `*` and `?` are used within the segments of an ARN (the parts between
/// colons): `*` any characters, `?` any one; a `*` that is the last character of a segment
/// may expand beyond the colon boundaries. A lone `*` matches every resource.
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let a: Vec<char> = arn.chars().collect();
    wildcard(&p, &a, true)
}

/// Glob matching of `*` and `?`. With `segments`, neither crosses a `:` except a `*` that
/// ends its segment (followed by `:` or by the end of the pattern).
fn wildcard(p: &[char], s: &[char], segments: bool) -> bool {
    // reach[j]: the pattern so far matches s[..j]. O(|p| × |s|), patterns are short.
    let mut reach = vec![false; s.len() + 1];
    reach[0] = true;
    for (i, &c) in p.iter().enumerate() {
        let mut next = vec![false; s.len() + 1];
        match c {
            '*' => {
                let spans_colons = !segments || p.get(i + 1).is_none_or(|&n| n == ':');
                let mut on = false;
                for j in 0..=s.len() {
                    if reach[j] {
                        on = true;
                    } else if j > 0 && !spans_colons && s[j - 1] == ':' {
                        on = false;
                    }
                    next[j] = on;
                }
            }
            '?' => {
                for j in 1..=s.len() {
                    next[j] = reach[j - 1] && !(segments && s[j - 1] == ':');
                }
            }
            _ => {
                for j in 1..=s.len() {
                    next[j] = reach[j - 1] && s[j - 1] == c;
                }
            }
        }
        reach = next;
    }
    reach[s.len()]
}

/// A call entry some of whose operations the caller's own role denies (not made with its
/// callers' credentials), as `access::partly_denied` finds them and `Imported::narrow`
/// narrows an imported call by: each operation it can carry, allowed or not (with
/// the key's action where the callee asks KMS as the caller, both must be).
#[derive(Clone, Debug, PartialEq)]
pub struct PartlyDenied {
    /// Where the entry's `to` is written (line, column).
    pub position: (usize, usize),
    pub caller: String,
    pub callee: String,
    /// The caller's role, by id.
    pub role: String,
    /// The operations it allows, by name, in operation order.
    pub allowed: Vec<String>,
    /// Those it denies, each with the first action denied.
    pub denied: Vec<(String, String)>,
    /// Whether the role allows any action of the callee's service on the resources asked
    /// (a table's `dynamodb:Query`, when the call asks `dynamodb:PutItem`): whether the
    /// role says its caller uses the callee at all.
    pub touches: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_inside_a_segment_stops_at_colons() {
        assert!(resource_matches(
            "arn:aws:s3:::b*",
            "arn:aws:s3:::bucket/x:y"
        ));
        assert!(!resource_matches(
            "arn:*x:dynamodb:r:1:table/t",
            "arn:aws:other:x:dynamodb:r:1:table/t"
        ));
        assert!(resource_matches("*", "arn:aws:sqs:r:1:q"));
        assert!(resource_matches("arn:aws:sqs:*:*:q?", "arn:aws:sqs:r:1:q1"));
        assert!(!resource_matches("arn:aws:sqs:*:*:q?", "arn:aws:sqs:r:1:q"));
    }
}
