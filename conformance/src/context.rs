//! What the checks share: the issuer under test, its discovered documents, the probe, and the
//! credentials this run created (revoked at the end).

use credential_issuer_spec::{AuditAction, Manifest, Operation, PermissionSchema};
use serde_json::Value;

use crate::probe::{Probe, Request, Response};
use crate::trail::{Mutation, Refusal};

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct Config {
    /// The issuer identifier under test.
    pub issuer: String,
    /// A token with the issuer-API scopes of the claimed operations.
    pub token: Option<String>,
    /// Whether checks may create, rotate and revoke.
    pub allow_mutations: bool,
    /// Only these groups (empty: all).
    pub only: Vec<crate::Group>,
    /// A second caller with less authority, for the authorization checks.
    pub restricted: Option<Restricted>,
    /// A token holding only `requests:create`, for the access request checks.
    pub requester: Option<String>,
}

/// A second caller: a token holding `credentials:create`, `credentials:read` and
/// `credentials:rotate` but not `credentials:revoke` or `audit:read`, whose authority is
/// exactly `authority`.
#[derive(Debug, Clone)]
pub struct Restricted {
    /// The token.
    pub token: String,
    /// What credentials it may mint, as grants.
    pub authority: Vec<credential_issuer_spec::Grant>,
}

/// The state of a run.
#[derive(Debug)]
pub(crate) struct Context {
    /// The configuration.
    pub(crate) config: Config,
    /// Raw HTTP with evidence.
    pub(crate) probe: Probe,
    /// The manifest as served, once discovery passed.
    pub(crate) manifest_json: Option<Value>,
    /// The manifest, parsed.
    pub(crate) manifest: Option<Manifest>,
    /// The permission schema, parsed.
    pub(crate) permissions: Option<PermissionSchema>,
    /// Credentials this run created (revoked when the run ends).
    pub(crate) created: Vec<String>,
    /// Every secret this run was given (for redaction and leak checks).
    pub(crate) secrets: Vec<String>,
    /// Mutations this run made, for the audit checks.
    pub(crate) mutations: Vec<Mutation>,
    /// Credentials created with an idempotency key and then replayed (one create event each).
    pub(crate) idempotent: Vec<String>,
    /// Credentials this run saw expire.
    pub(crate) expired: Vec<String>,
    /// Operations this run saw refused after authentication (for the audit checks).
    pub(crate) refusals: Vec<Refusal>,
    /// The audit log as read by the first audit check that read it.
    pub(crate) audit_log: Vec<Value>,
    /// A permission schema given as a file (`check-documents`), not fetched.
    pub(crate) permission_file: Option<Value>,
}

impl Context {
    /// A new run.
    pub(crate) fn new(config: Config) -> Self {
        let mut probe = Probe::new();
        if let Some(token) = &config.token {
            probe.redactor.add_secret(token);
        }
        if let Some(restricted) = &config.restricted {
            probe.redactor.add_secret(&restricted.token);
        }
        if let Some(requester) = &config.requester {
            probe.redactor.add_secret(requester);
        }
        Self {
            config,
            probe,
            manifest_json: None,
            manifest: None,
            permissions: None,
            created: Vec::new(),
            secrets: Vec::new(),
            mutations: Vec::new(),
            idempotent: Vec::new(),
            expired: Vec::new(),
            refusals: Vec::new(),
            audit_log: Vec::new(),
            permission_file: None,
        }
    }

    /// Why an operation is not claimed, in the issuer's own words where its manifest gives
    /// them (a limitation's reason, or a manual step) (REQ-MAN-19).
    pub(crate) fn why_not(&self, operation: &Operation) -> String {
        let manifest = self.manifest.as_ref();
        let limitation = manifest.and_then(|m| {
            m.limitations
                .iter()
                .find(|l| &l.operation == operation)
                .map(|l| l.reason.clone())
        });
        let manual = manifest.and_then(|m| {
            m.manual_steps
                .iter()
                .find(|s| &s.operation == operation)
                .map(|s| format!("a manual step at {}", s.console_url))
        });
        match limitation.or(manual) {
            Some(reason) => format!("the manifest does not claim `{operation}`: {reason}"),
            None => format!("the manifest does not claim `{operation}`"),
        }
    }

    /// Whether the manifest claims `operation`.
    pub(crate) fn claims(&self, operation: &Operation) -> bool {
        self.manifest
            .as_ref()
            .is_some_and(|m| m.supports(operation))
    }

    /// The operations' base URL.
    pub(crate) fn endpoint(&self) -> Option<String> {
        self.manifest.as_ref().map(|m| {
            m.credential_issuer_endpoint
                .as_str()
                .trim_end_matches('/')
                .to_owned()
        })
    }

    /// Remembers a secret the issuer handed out.
    pub(crate) fn remember_secret(&mut self, secret: &str) {
        self.secrets.push(secret.to_owned());
        self.probe.redactor.add_secret(secret);
    }

    /// Remembers a mutation (or introspection) the audit log must show.
    pub(crate) fn mutated(&mut self, action: AuditAction, credential: &str, version: Option<u64>) {
        self.mutations.push(Mutation {
            action,
            credential: credential.to_owned(),
            version,
        });
    }

    /// Remembers an operation refused after authentication, naming `credential` if it did.
    pub(crate) fn refused(&mut self, action: AuditAction, credential: Option<&str>) {
        self.refusals.push(Refusal {
            action,
            credential: credential.map(str::to_owned),
        });
    }

    /// Sends a request with the token to `path` below the endpoint.
    pub(crate) async fn call(&mut self, mut request: Request) -> Response {
        if let Some(endpoint) = self.endpoint()
            && request.url.starts_with('/')
        {
            request.url = format!("{endpoint}{}", request.url);
        }
        if let Some(token) = self.config.token.clone() {
            request = request.bearer(&token);
        }
        self.probe.send(request).await
    }

    /// Sends a request to `path` below the endpoint as another caller, with `token`.
    pub(crate) async fn call_as(&mut self, token: &str, mut request: Request) -> Response {
        request.url = format!("{}{}", self.endpoint().unwrap_or_default(), request.url);
        self.probe.send(request.bearer(token)).await
    }
}
