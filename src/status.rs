//! The HTTP statuses archsim's components answer with, by name, and what each means where
//! AWS returns it (aws-facts: the sections of the services cited beside each use).

/// The request succeeded.
pub const OK: u16 = 200;
/// Accepted for later processing (asynchronous invocations, queued messages).
pub const ACCEPTED: u16 = 202;
/// The throttles SDKs retry: DynamoDB's ProvisionedThroughputExceeded, SQS FIFO's and SNS's
/// ThrottlingException. AWS's other HTTP 400s, which no SDK retries (a ValidationException for
/// an item too large, …), are counted apart (`PAYLOAD_TOO_LARGE`), as a status is what decides
/// a retry here.
pub const BAD_REQUEST: u16 = 400;
/// Denied by a policy.
pub const FORBIDDEN: u16 = 403;
/// Payload too large: a request over API Gateway's 10 MB, a synchronous invocation over
/// Lambda's 6 MB (RequestTooLargeException). Also, in place of AWS's HTTP 400, the refusals
/// of a message or item over its service's size limit, which no SDK retries: DynamoDB's
/// ValidationException for an item over 400 KB, SQS's for a message over 1 MiB, SNS's
/// InvalidParameter for a message over 256 KiB (told apart from the 400 throttles SDKs retry).
pub const PAYLOAD_TOO_LARGE: u16 = 413;
/// Throttled: API Gateway's throttles and quotas, Lambda's Invoke API.
pub const TOO_MANY_REQUESTS: u16 = 429;
/// An internal error: behind API Gateway, a Lambda throttle (REST).
pub const INTERNAL_ERROR: u16 = 500;
/// Bad gateway: behind API Gateway, a Lambda function error; a load balancer's target that
/// closed the connection (deregistration cut-off, instance lost).
pub const BAD_GATEWAY: u16 = 502;
/// What an error reported in a downstream answer becomes when a caller passes it on as a
/// status: a Lambda function error (aws-facts: §2 sync Invoke results: HTTP 200 with
/// `X-Amz-Function-Error`, which no SDK retries) answered by a REST API, a load balancer or a
/// service that calls the function: bad gateway.
pub const FAILED_UPSTREAM: u16 = BAD_GATEWAY;
/// Unavailable: a full queue, no healthy target, a database that refuses writes.
pub const SERVICE_UNAVAILABLE: u16 = 503;
/// Gateway timeout: a load balancer's idle timeout, API Gateway's integration timeout, a
/// downstream timeout passed up.
pub const GATEWAY_TIMEOUT: u16 = 504;

/// Not an HTTP status: the connection was reset or refused before any response came (a TCP
/// RST). A network load balancer emits no HTTP status of its own (aws-facts: §3 NLB failure
/// behaviour): where an application load balancer would answer 502, 503 or 504, its clients
/// see their connection reset. A client sent through a Route 53 name whose target left its
/// request unanswered past the name's `timeout` gives up on the connection: the same network
/// error. Numbered 599, the code some proxies and clients give a network error, so that it
/// sits among the statuses in `by_status` and in a retry policy's `on`.
pub const CONNECTION_RESET: u16 = 599;

/// Not an HTTP status, and never a final one: an instance a load balancer routed a request
/// to did not accept the connection (a failed instance answers nothing, so the attempt times
/// out). It passes only from an Auto Scaling group's instance to its load balancer, which
/// answers 504 (ALB, CLB: aws-facts §3 ALB 504) or resets the client's connection (NLB).
pub const CONNECT_FAILED: u16 = 598;

/// Every status above: the codes a `by_status` table may hold (a chart gives each its own
/// colour). A status added above belongs here too.
pub const CODES: &[u16] = &[
    OK,
    ACCEPTED,
    BAD_REQUEST,
    FORBIDDEN,
    PAYLOAD_TOO_LARGE,
    TOO_MANY_REQUESTS,
    INTERNAL_ERROR,
    BAD_GATEWAY,
    SERVICE_UNAVAILABLE,
    GATEWAY_TIMEOUT,
    CONNECTION_RESET,
    CONNECT_FAILED,
];

/// Whether a status is a success.
pub const fn is_success(status: u16) -> bool {
    status >= 200 && status < 300
}

/// The name under `by_status.` of a Lambda function error (an answer that says the work
/// failed, counted apart from statuses).
pub const FUNCTION_ERROR_WORD: &str = "function_error";
/// The name under `requests.by_status.` of a request a browser's CORS check blocked.
pub const CORS_BLOCKED_WORD: &str = "cors_blocked";

/// Every name a `by_status` table holds besides status codes: a caller's timeout and a
/// reported error (as `kernel::Outcome` names them), a function error, a CORS block.
pub const WORDS: &[&str] = &["timeout", "error", FUNCTION_ERROR_WORD, CORS_BLOCKED_WORD];

/// Whether `name` is one a `by_status` table may hold: a status code from 100 to 599, or one
/// of `WORDS`.
pub fn is_name(name: &str) -> bool {
    name.parse::<u16>().is_ok_and(|s| (100..=599).contains(&s)) || WORDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Outcome;

    #[test]
    fn the_words_are_the_outcomes_names() {
        for o in [Outcome::Timeout, Outcome::Error] {
            assert!(WORDS.contains(&o.to_string().as_str()), "{o}");
        }
    }
}
