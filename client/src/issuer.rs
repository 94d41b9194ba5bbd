//! A discovered issuer and its typed operations, built on the spec's endpoint constants.

use std::pin::Pin;

use credential_issuer_spec::operations::exposure::{ExposureReport, ExposureReportResponse};
use credential_issuer_spec::operations::introspect::{IntrospectRequest, IntrospectResponse};
use credential_issuer_spec::operations::list::ListQuery;
use credential_issuer_spec::operations::{
    self, Endpoint, Method as SpecMethod, Page, create::CreateRequest, revoke::RevokeRequest,
    rotate::RotateRequest,
};
use credential_issuer_spec::{
    AuditEvent, Credential, CredentialId, Grant, IssuedCredential, Manifest, Operation,
    PermissionIndex, PermissionSchema, Secret,
};
use futures_util::Stream;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderName};
use url::Url;

use crate::client::Client;
use crate::discovery::Discovery;
use crate::error::ClientError;
use crate::transport::{Outgoing, Reply};

/// A stream of items across cursor pages.
pub type PageStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T, ClientError>> + Send + 'a>>;

/// Which audit events to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this credential.
    pub credential_id: Option<CredentialId>,
    /// Only events after this sequence number.
    pub after_seq: Option<u64>,
    /// Page size.
    pub limit: Option<u32>,
}

/// A discovered issuer. Operations that need a caller token use the one set with
/// [`Issuer::with_token`].
#[derive(Debug, Clone)]
pub struct Issuer {
    client: Client,
    discovery: Discovery,
    token: Option<Secret>,
}

impl Issuer {
    pub(crate) fn new(client: Client, discovery: Discovery) -> Self {
        Self {
            client,
            discovery,
            token: None,
        }
    }

    /// Uses `token` as the caller's bearer token.
    pub fn with_token(mut self, token: Secret) -> Self {
        self.token = Some(token);
        self
    }

    /// The checked manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.discovery.manifest
    }

    /// Everything discovery found.
    pub fn discovery(&self) -> &Discovery {
        &self.discovery
    }

    /// The permission schema.
    pub fn permission_schema(&self) -> &PermissionSchema {
        &self.discovery.permission_schema
    }

    /// The permission schema prepared for containment checks.
    pub fn permissions(&self) -> &PermissionIndex {
        &self.discovery.permissions
    }

    /// Whether every grant of `requested` is within `held` (the issuer's `implies` closed).
    pub fn scope_within(&self, requested: &[Grant], held: &[Grant]) -> bool {
        self.discovery.permissions.scope_within(requested, held)
    }

    /// The grants of `held` that go beyond a stated `need`: what an over-broad credential should lose.
    pub fn broader_than<'a>(&self, held: &'a [Grant], need: &[Grant]) -> Vec<&'a Grant> {
        self.discovery.permissions.broader_than(held, need)
    }

    fn url(&self, endpoint: &Endpoint, id: Option<&str>) -> Result<Url, ClientError> {
        let base = self
            .discovery
            .manifest
            .credential_issuer_endpoint
            .as_str()
            .trim_end_matches('/');
        let path = match id {
            Some(id) => endpoint.path_for(id),
            None => endpoint.path.to_owned(),
        };
        Url::parse(&format!("{base}{path}")).map_err(|e| ClientError::InvalidDocument {
            document: "manifest",
            url: self.discovery.manifest_url.to_string(),
            rule: format!("credential_issuer_endpoint does not form URLs: {e}"),
        })
    }

    fn request(
        &self,
        endpoint: &Endpoint,
        id: Option<&str>,
        operation: Operation,
    ) -> Result<Outgoing, ClientError> {
        if !self.discovery.manifest.supports(&operation) {
            return Err(ClientError::NotOffered(operation));
        }
        let token = self.token.as_ref().ok_or(ClientError::MissingToken)?;
        let method = match endpoint.method {
            SpecMethod::Get => Method::GET,
            SpecMethod::Post => Method::POST,
        };
        Outgoing::new(method, self.url(endpoint, id)?)
            .header(AUTHORIZATION, &format!("Bearer {}", token.expose()))
    }

    async fn send(&self, request: Outgoing) -> Result<Reply, ClientError> {
        self.client.transport.send(&request).await
    }

    /// Creates a credential. An `Idempotency-Key` makes a retry after a lost answer safe.
    pub async fn create(&self, request: &CreateRequest) -> Result<IssuedCredential, ClientError> {
        let mut outgoing = self
            .request(&operations::create::ENDPOINT, None, Operation::Create)?
            .header(idempotency_key(), &uuid::Uuid::new_v4().to_string())?
            .json(request)?;
        outgoing.idempotent = true;
        self.send(outgoing).await?.decode("issued credential")
    }

    /// One page of credentials.
    pub async fn list_page(&self, query: &ListQuery) -> Result<Page<Credential>, ClientError> {
        let mut outgoing = self.request(&operations::list::ENDPOINT, None, Operation::List)?;
        outgoing
            .url
            .query_pairs_mut()
            .extend_pairs(query.to_pairs());
        self.send(outgoing).await?.decode("credential page")
    }

    /// Every credential matching `query`, following cursors.
    pub fn list(&self, query: ListQuery) -> PageStream<'_, Credential> {
        Box::pin(futures_util::stream::try_unfold(
            (query, Vec::<Credential>::new().into_iter(), false),
            move |(mut query, mut buffered, mut done)| async move {
                loop {
                    if let Some(item) = buffered.next() {
                        return Ok(Some((item, (query, buffered, done))));
                    }
                    if done {
                        return Ok(None);
                    }
                    let page = self.list_page(&query).await?;
                    done = page.next_cursor.is_none();
                    query.cursor = page.next_cursor;
                    buffered = page.items.into_iter();
                }
            },
        ))
    }

    /// One credential.
    pub async fn get(&self, id: &CredentialId) -> Result<Credential, ClientError> {
        let outgoing = self.request(
            &operations::get::ENDPOINT,
            Some(id.as_str()),
            Operation::List,
        )?;
        self.send(outgoing).await?.decode("credential")
    }

    /// Rotates a credential; with `if_version`, only if that version is still current.
    pub async fn rotate(
        &self,
        id: &CredentialId,
        request: &RotateRequest,
        if_version: Option<u32>,
    ) -> Result<IssuedCredential, ClientError> {
        let key = uuid::Uuid::new_v4().to_string();
        self.rotate_keyed(id, request, if_version, &key).await
    }

    /// Rotates a credential with a caller-chosen `Idempotency-Key`: sending the same key (and the
    /// same body and `If-Match`) again after a lost answer gets the first rotation's answer, new
    /// secret included, instead of a second rotation. `credctl recover` journals the key first.
    ///
    /// ```no_run
    /// # async fn run(issuer: credential_issuer_client::Issuer, id: credential_issuer_spec::CredentialId)
    /// # -> Result<(), credential_issuer_client::ClientError> {
    /// use credential_issuer_spec::operations::rotate::RotateRequest;
    /// let first = issuer.rotate_keyed(&id, &RotateRequest::default(), Some(1), "key-1").await;
    /// // the answer was lost? the same key gives the same new version, not a second rotation:
    /// let again = issuer.rotate_keyed(&id, &RotateRequest::default(), Some(1), "key-1").await?;
    /// assert_eq!(again.credential.current_version, 2);
    /// # let _ = first; Ok(()) }
    /// ```
    pub async fn rotate_keyed(
        &self,
        id: &CredentialId,
        request: &RotateRequest,
        if_version: Option<u32>,
        idempotency_key_value: &str,
    ) -> Result<IssuedCredential, ClientError> {
        let mut outgoing = self
            .request(
                &operations::rotate::ENDPOINT,
                Some(id.as_str()),
                Operation::Rotate,
            )?
            .header(idempotency_key(), idempotency_key_value)?
            .json(request)?;
        if let Some(version) = if_version {
            outgoing = outgoing.header(reqwest::header::IF_MATCH, &format!("\"{version}\""))?;
        }
        outgoing.idempotent = true;
        self.send(outgoing).await?.decode("issued credential")
    }

    /// Revokes a credential, or one version of it.
    pub async fn revoke(
        &self,
        id: &CredentialId,
        request: &RevokeRequest,
    ) -> Result<Credential, ClientError> {
        let outgoing = self
            .request(
                &operations::revoke::ENDPOINT,
                Some(id.as_str()),
                Operation::Revoke,
            )?
            .json(request)?;
        self.send(outgoing).await?.decode("credential")
    }

    /// What the issuer knows of a secret.
    pub async fn introspect(&self, secret: &Secret) -> Result<IntrospectResponse, ClientError> {
        let request = IntrospectRequest {
            secret: secret.clone(),
        };
        let outgoing = self
            .request(
                &operations::introspect::ENDPOINT,
                None,
                Operation::Introspect,
            )?
            .json(&request)?;
        self.send(outgoing).await?.decode("introspection")
    }

    /// Reports exposed secrets.
    pub async fn report_exposure(
        &self,
        report: &ExposureReport,
    ) -> Result<ExposureReportResponse, ClientError> {
        let outgoing = self
            .request(
                &operations::exposure::ENDPOINT,
                None,
                Operation::ReportExposure,
            )?
            .json(report)?;
        self.send(outgoing)
            .await?
            .decode("exposure report response")
    }

    /// One page of the audit log.
    pub async fn audit_page(
        &self,
        query: &AuditQuery,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEvent>, ClientError> {
        self.audit_page_of(query, cursor).await
    }

    async fn audit_page_of<T: serde::de::DeserializeOwned>(
        &self,
        query: &AuditQuery,
        cursor: Option<&str>,
    ) -> Result<Page<T>, ClientError> {
        let mut outgoing = self.request(&operations::audit::LIST, None, Operation::Audit)?;
        {
            let mut pairs = outgoing.url.query_pairs_mut();
            if let Some(id) = &query.credential_id {
                pairs.append_pair("credential_id", id.as_str());
            }
            match (cursor, query.after_seq) {
                (Some(cursor), _) => {
                    pairs.append_pair("cursor", cursor);
                }
                (None, Some(after)) => {
                    pairs.append_pair("after_seq", &after.to_string());
                }
                (None, None) => {}
            }
            if let Some(limit) = query.limit {
                pairs.append_pair("limit", &limit.to_string());
            }
        }
        self.send(outgoing).await?.decode("audit page")
    }

    /// Every audit event matching `query`, oldest first, following cursors.
    pub fn audit(&self, query: AuditQuery) -> PageStream<'_, AuditEvent> {
        self.audit_stream(query)
    }

    /// Every audit event exactly as served (for verification, which hashes what was received).
    pub(crate) fn audit_raw(&self, query: AuditQuery) -> PageStream<'_, serde_json::Value> {
        self.audit_stream(query)
    }

    fn audit_stream<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        query: AuditQuery,
    ) -> PageStream<'_, T> {
        Box::pin(futures_util::stream::try_unfold(
            (None::<String>, Vec::<T>::new().into_iter(), false),
            move |(mut cursor, mut buffered, mut done)| {
                let query = query.clone();
                async move {
                    loop {
                        if let Some(item) = buffered.next() {
                            return Ok(Some((item, (cursor, buffered, done))));
                        }
                        if done {
                            return Ok(None);
                        }
                        let page = self.audit_page_of::<T>(&query, cursor.as_deref()).await?;
                        done = page.next_cursor.is_none() || page.items.is_empty();
                        cursor = page.next_cursor;
                        buffered = page.items.into_iter();
                    }
                }
            },
        ))
    }

    /// The client this issuer was discovered with.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Sends a request to `endpoint` (no path parameter, no body).
    pub(crate) async fn send_endpoint(
        &self,
        endpoint: &Endpoint,
        operation: Operation,
    ) -> Result<Reply, ClientError> {
        let outgoing = self.request(endpoint, None, operation)?;
        self.send(outgoing).await
    }
}

fn idempotency_key() -> HeaderName {
    HeaderName::from_static("idempotency-key")
}

impl Issuer {
    /// Asks for access (`POST /requests`); the answer is the pending (or auto-approved) request.
    pub async fn create_access_request(
        &self,
        request: &credential_issuer_spec::operations::requests::CreateAccessRequest,
    ) -> Result<credential_issuer_spec::AccessRequest, ClientError> {
        let outgoing = self
            .request(&operations::requests::CREATE, None, Operation::Request)?
            .json(request)?;
        self.send(outgoing).await?.decode("access request")
    }

    /// One access request.
    pub async fn access_request(
        &self,
        id: &credential_issuer_spec::AccessRequestId,
    ) -> Result<credential_issuer_spec::AccessRequest, ClientError> {
        let outgoing = self.request(
            &operations::requests::GET,
            Some(id.as_str()),
            Operation::Request,
        )?;
        self.send(outgoing).await?.decode("access request")
    }

    /// One page of access requests, optionally only those with `status`.
    pub async fn access_requests(
        &self,
        status: Option<credential_issuer_spec::AccessRequestStatus>,
        cursor: Option<&str>,
    ) -> Result<Page<credential_issuer_spec::AccessRequest>, ClientError> {
        let mut outgoing = self.request(&operations::requests::LIST, None, Operation::Approve)?;
        {
            let mut pairs = outgoing.url.query_pairs_mut();
            if let Some(status) = status {
                pairs.append_pair("status", status.as_str());
            }
            if let Some(cursor) = cursor {
                pairs.append_pair("cursor", cursor);
            }
        }
        self.send(outgoing).await?.decode("access request page")
    }

    /// Approves an access request, possibly narrower or shorter.
    pub async fn approve(
        &self,
        id: &credential_issuer_spec::AccessRequestId,
        decision: &credential_issuer_spec::operations::requests::ApproveRequest,
    ) -> Result<credential_issuer_spec::AccessRequest, ClientError> {
        let outgoing = self
            .request(
                &operations::requests::APPROVE,
                Some(id.as_str()),
                Operation::Approve,
            )?
            .json(decision)?;
        self.send(outgoing).await?.decode("access request")
    }

    /// Denies an access request.
    pub async fn deny(
        &self,
        id: &credential_issuer_spec::AccessRequestId,
        decision: &credential_issuer_spec::operations::requests::DenyRequest,
    ) -> Result<credential_issuer_spec::AccessRequest, ClientError> {
        let outgoing = self
            .request(
                &operations::requests::DENY,
                Some(id.as_str()),
                Operation::Approve,
            )?
            .json(decision)?;
        self.send(outgoing).await?.decode("access request")
    }

    /// Collects the credential of an approved request: the secret, once.
    pub async fn collect(
        &self,
        id: &credential_issuer_spec::AccessRequestId,
    ) -> Result<IssuedCredential, ClientError> {
        let outgoing = self.request(
            &operations::requests::COLLECT,
            Some(id.as_str()),
            Operation::Request,
        )?;
        self.send(outgoing).await?.decode("issued credential")
    }
}
