//! An access request as the server keeps it.

/// An access request with what only the server sees: the requester's token and, between
/// approval and collection, the sealed secret of the minted credential.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRequestRecord {
    /// The issuer.
    pub issuer: String,
    /// The request as served.
    pub request: credential_issuer_spec::AccessRequest,
    /// The id of the token that made the request (the only one that may collect it).
    pub requester_token: String,
    /// The minted credential's secret, sealed, until it is collected.
    pub sealed_secret: Option<Vec<u8>>,
}
