//! The store contract: one set of tests that every `Store` implementation passes, run once
//! against SQLite (a temporary file) and once against PostgreSQL (a fresh database on a real
//! server, see [`crate::postgres`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use credential_issuer_server::crypto::keys::Key;
use credential_issuer_server::lifecycle::mint_token;
use credential_issuer_server::model::{
    AccessRequestRecord, AuditEntry, CredentialRecord, ExposureRecord, IdempotencyKey,
    StoredOutcome, StoredResponse, VendorKey, VersionRecord,
};
use credential_issuer_server::store::{
    AuditQuery, CredentialFilter, StatusAt, Store, StoreError, StoreSettings,
};
use credential_issuer_spec::audit::verify_chain;
use credential_issuer_spec::{
    AccessRequestStatus, ApiScope, AuditAction, CredentialId, CredentialStatus, GENESIS_HASH,
    Outcome, Timestamp, VersionStatus,
};
use serde_json::json;

use crate::postgres::TestDatabase;

const ISSUER: &str = "https://issuer.example";

/// Which implementation a case runs against.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Where one case keeps its data; [`Fixture::open`] opens a store on it (several times, for
/// cases about several servers sharing one store).
pub(crate) struct Fixture {
    dir: tempfile::TempDir,
    settings: StoreSettings,
    _database: Option<TestDatabase>,
}

impl Fixture {
    /// A fresh location.
    pub(crate) async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (settings, database) = match backend {
            Backend::Sqlite => (StoreSettings::default(), None),
            Backend::Postgres => {
                let database = TestDatabase::create().await;
                let settings = StoreSettings {
                    url: Some(database.url()),
                    ..StoreSettings::default()
                };
                (settings, Some(database))
            }
        };
        Self {
            dir,
            settings,
            _database: database,
        }
    }

    /// Opens a store on this location, applying the migrations if need be.
    pub(crate) async fn open(&self) -> Arc<dyn Store> {
        credential_issuer_server::store::open(&self.settings, self.dir.path())
            .await
            .unwrap()
    }
}

async fn run<F: std::future::Future<Output = ()>>(
    backend: Backend,
    case: impl FnOnce(Fixture) -> F,
) {
    case(Fixture::new(backend).await).await;
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::run(super::Backend::Sqlite, super::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[ignore = "needs PostgreSQL (CREDENTIAL_ISSUER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); run with `cargo test -- --ignored`, as CI does"]
                async fn $case() {
                    super::run(super::Backend::Postgres, super::$case).await;
                }
            )*
        }
    };
}

contract!(
    credentials_round_trip,
    listing_filters_and_pages,
    save_is_a_compare_and_set,
    a_dropped_transaction_changes_nothing,
    audit_events_link_into_one_chain,
    concurrent_appends_form_one_line,
    concurrent_changes_of_one_credential_serialise,
    a_change_that_keeps_the_version_is_made_once,
    one_idempotency_key_is_answered_once,
    a_claim_is_released_but_a_response_is_kept,
    access_requests_change_only_from_the_expected_status,
    due_work_is_found,
    tokens_vendor_credentials_and_exposures,
    stores_opened_at_once_on_one_location_agree,
    the_first_key_check_is_kept,
    vendor_keys_of_ended_versions_queue_until_retired,
);

fn id(n: u32) -> CredentialId {
    format!("cred_{n:032x}").parse().unwrap()
}

fn mac(seed: &str) -> [u8; 32] {
    Key::generate().mac(seed.as_bytes())
}

/// A credential with one current version.
fn credential(n: u32, metadata: serde_json::Value) -> CredentialRecord {
    let created = Timestamp::from_unix_millis(1_790_000_000_000 + i64::from(n)).unwrap();
    let wire = json!({
        "id": id(n), "type": "api_key", "name": format!("credential {n}"), "status": "active",
        "scope": [{ "permission": "events:read", "resource": "project:web" }],
        "metadata": metadata, "created_at": created, "expires_at": null, "revoked_at": null,
        "current_version": 1,
        "versions": [{ "version": 1, "status": "current", "secret_hint": "cik_…abcd",
                       "created_at": created, "expires_at": null, "revoked_at": null }],
    });
    CredentialRecord {
        issuer: ISSUER.to_owned(),
        credential: serde_json::from_value(wire).unwrap(),
        versions: vec![VersionRecord {
            version: 1,
            scope: vec!["events:read@project:web".parse().unwrap()],
            secret_mac: mac(&format!("{n}/1")),
            fingerprint: format!("fp-{n}-1"),
            vendor_key: None,
            vendor_retired_at: None,
        }],
    }
}

/// `record` rotated in memory: the current version becomes previous until `grace_end`.
fn rotated(record: &CredentialRecord, grace_end: Option<Timestamp>) -> CredentialRecord {
    let mut next = record.clone();
    let number = next.credential.current_version + 1;
    let mut version = next.credential.versions[0].clone();
    for v in &mut next.credential.versions {
        if v.status == VersionStatus::Current {
            v.status = VersionStatus::Previous;
            v.expires_at = grace_end;
        }
    }
    version.version = number;
    version.status = VersionStatus::Current;
    version.expires_at = None;
    next.credential.versions.push(version);
    next.credential.current_version = number;
    let mut server = next.versions[0].clone();
    server.version = number;
    server.secret_mac = mac(&format!("{}/{number}", next.credential.id));
    server.fingerprint = format!("fp-{}-{number}", next.credential.id);
    next.versions.push(server);
    next
}

fn entry(action: AuditAction, credential: Option<CredentialId>) -> AuditEntry {
    AuditEntry {
        time: Timestamp::now(),
        actor: "system".to_owned(),
        action,
        credential_id: credential,
        version: Some(1),
        outcome: Outcome::Success,
        request_id: uuid::Uuid::new_v4().simple().to_string(),
        details: BTreeMap::from([("note".to_owned(), json!("contract"))]),
    }
}

async fn insert(store: &dyn Store, record: &CredentialRecord) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_credential(record).await.unwrap();
    tx.commit().await.unwrap();
}

async fn whole_log(store: &dyn Store) -> Vec<credential_issuer_spec::AuditEvent> {
    let mut events = Vec::new();
    loop {
        let after_seq = events
            .last()
            .map_or(0, |e: &credential_issuer_spec::AuditEvent| e.seq);
        let page = store
            .audit_events(
                ISSUER,
                &AuditQuery {
                    credential_id: None,
                    after_seq,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}

async fn credentials_round_trip(fixture: Fixture) {
    let store = fixture.open().await;
    let record = credential(1, json!({ "owner": "team-web" }));
    insert(&*store, &record).await;
    let read = store
        .credential(ISSUER, &record.credential.id)
        .await
        .unwrap();
    assert_eq!(read.as_ref(), Some(&record));
    assert_eq!(
        store
            .credential("https://other.example", &record.credential.id)
            .await
            .unwrap(),
        None
    );
    let (by_mac, version) = store
        .credential_by_secret_mac(&record.versions[0].secret_mac)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((by_mac, version), (record.clone(), 1));
    assert_eq!(
        store.credential_by_secret_mac(&[0; 32]).await.unwrap(),
        None
    );
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.version_by_fingerprint(ISSUER, "fp-1-1").await.unwrap(),
        Some((record.credential.id.clone(), 1))
    );
    assert_eq!(
        tx.credential(ISSUER, &record.credential.id).await.unwrap(),
        Some(record.clone())
    );
    let duplicate = tx.insert_credential(&record).await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict)),
        "{duplicate:?}"
    );
}

async fn listing_filters_and_pages(fixture: Fixture) {
    let store = fixture.open().await;
    for n in 1..=5 {
        let team = if n % 2 == 0 { "even" } else { "odd" };
        insert(&*store, &credential(n, json!({ "team": team }))).await;
    }
    let all = |filter: CredentialFilter| {
        let store = store.clone();
        async move {
            store
                .credentials(ISSUER, &filter)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.credential.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        all(CredentialFilter {
            limit: 10,
            ..Default::default()
        })
        .await,
        (1..=5).map(id).collect::<Vec<_>>()
    );
    assert_eq!(
        all(CredentialFilter {
            limit: 2,
            after: Some(id(2)),
            ..Default::default()
        })
        .await,
        vec![id(3), id(4)]
    );
    let odd = CredentialFilter {
        limit: 10,
        metadata: BTreeMap::from([("team".to_owned(), "odd".to_owned())]),
        ..Default::default()
    };
    assert_eq!(all(odd).await, vec![id(1), id(3), id(5)]);
    let revoked = CredentialFilter {
        limit: 10,
        status: Some(StatusAt {
            status: CredentialStatus::Revoked,
            at: Timestamp::now(),
        }),
        ..Default::default()
    };
    assert!(all(revoked).await.is_empty());
    let listed = store
        .credentials(
            ISSUER,
            &CredentialFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed[0].versions.len(),
        1,
        "listed records come with their versions"
    );
}

async fn save_is_a_compare_and_set(fixture: Fixture) {
    let store = fixture.open().await;
    let record = credential(1, json!({}));
    insert(&*store, &record).await;
    let next = rotated(&record, None);
    let mut tx = store.begin().await.unwrap();
    let stale = tx.save_credential(&next, 7).await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    tx.save_credential(&next, 1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .credential(ISSUER, &record.credential.id)
            .await
            .unwrap(),
        Some(next.clone())
    );
    let mut tx = store.begin().await.unwrap();
    let again = tx.save_credential(&rotated(&next, None), 1).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
}

async fn a_dropped_transaction_changes_nothing(fixture: Fixture) {
    let store = fixture.open().await;
    {
        let mut tx = store.begin().await.unwrap();
        tx.insert_credential(&credential(1, json!({})))
            .await
            .unwrap();
        tx.append_audit(ISSUER, entry(AuditAction::CredentialCreate, Some(id(1))))
            .await
            .unwrap();
    }
    assert_eq!(store.credential(ISSUER, &id(1)).await.unwrap(), None);
    assert_eq!(store.audit_head(ISSUER).await.unwrap(), None);
    // The store is still usable: the next append is the first event.
    let mut tx = store.begin().await.unwrap();
    let first = tx
        .append_audit(ISSUER, entry(AuditAction::CredentialCreate, None))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((first.seq, first.prev_hash.as_str()), (1, GENESIS_HASH));
}

/// REQ-AUD-10, REQ-AUD-11: sequence from 1 without gaps, each event linked to the previous.
async fn audit_events_link_into_one_chain(fixture: Fixture) {
    let store = fixture.open().await;
    for n in 0..5 {
        let mut tx = store.begin().await.unwrap();
        let about = (n % 2 == 0).then(|| id(1));
        tx.append_audit(ISSUER, entry(AuditAction::CredentialIntrospect, about))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let events = whole_log(&*store).await;
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    let (seq, hash) = verify_chain(&events, 0, GENESIS_HASH).unwrap();
    assert_eq!(store.audit_head(ISSUER).await.unwrap(), Some((seq, hash)));
    let about = store
        .audit_events(
            ISSUER,
            &AuditQuery {
                credential_id: Some(id(1)),
                after_seq: 1,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(about.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 5]);
    assert_eq!(
        store.audit_head("https://other.example").await.unwrap(),
        None,
        "one log per issuer"
    );
}

/// REQ-AUD-11 under concurrency: appends racing on several connections still form one line.
async fn concurrent_appends_form_one_line(fixture: Fixture) {
    let store = fixture.open().await;
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                tx.append_audit(ISSUER, entry(AuditAction::CredentialIntrospect, None))
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
                tx.commit().await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let events = whole_log(&*store).await;
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=24).collect::<Vec<_>>()
    );
    verify_chain(&events, 0, GENESIS_HASH).unwrap();
}

/// REQ-ROT-2: concurrent read-modify-write of one credential never loses a change: every
/// transaction that commits moved the version on by exactly one.
async fn concurrent_changes_of_one_credential_serialise(fixture: Fixture) {
    let store = fixture.open().await;
    insert(&*store, &credential(1, json!({}))).await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let record = tx.credential(ISSUER, &id(1)).await.unwrap().unwrap();
                let expected = record.credential.current_version;
                let next = rotated(&record, None);
                match tx.save_credential(&next, expected).await {
                    Ok(()) => {}
                    Err(StoreError::Conflict) => return false,
                    Err(other) => panic!("{other}"),
                }
                tx.append_audit(ISSUER, entry(AuditAction::CredentialRotate, Some(id(1))))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                true
            })
        })
        .collect();
    let mut committed = 0;
    for task in tasks {
        committed += u32::from(task.await.unwrap());
    }
    let record = store.credential(ISSUER, &id(1)).await.unwrap().unwrap();
    assert_eq!(record.credential.current_version, 1 + committed);
    let numbers: Vec<u32> = record
        .credential
        .versions
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(
        numbers,
        (1..=1 + committed).collect::<Vec<_>>(),
        "no version twice, none skipped"
    );
    assert_eq!(
        whole_log(&*store).await.len(),
        committed as usize,
        "one event per change"
    );
}

/// REQ-IDEM-4: requests with one key, racing, are answered from the first one's response.
async fn one_idempotency_key_is_answered_once(fixture: Fixture) {
    let store = fixture.open().await;
    let key = IdempotencyKey {
        issuer: ISSUER.to_owned(),
        principal: "tok_1".to_owned(),
        key: "retry-me".to_owned(),
    };
    let tasks: Vec<_> = (0..8u8)
        .map(|n| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                if let Some(first) = tx.stored_response(&key).await.unwrap() {
                    return first.outcome;
                }
                let response = StoredResponse {
                    operation: "create".to_owned(),
                    request_hash: [7; 32],
                    outcome: StoredOutcome::Done {
                        status: 201,
                        sealed_body: vec![n; 4],
                    },
                    created_at: Timestamp::now(),
                };
                tx.store_response(&key, &response).await.unwrap();
                tx.commit().await.unwrap();
                response.outcome
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(task.await.unwrap());
    }
    bodies.dedup();
    assert_eq!(
        bodies.len(),
        1,
        "every request got the first response: {bodies:?}"
    );
    let other = IdempotencyKey {
        principal: "tok_2".to_owned(),
        ..key.clone()
    };
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.stored_response(&other).await.unwrap(),
        None,
        "keys are per caller (REQ-IDEM-3)"
    );
    drop(tx);
    let purged = store
        .purge_stored_responses(Timestamp::now().plus_seconds(1))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.stored_response(&key).await.unwrap(), None);
}

/// REQ-IDEM-6, REQ-IDEM-7: a running request's claim is seen by others and dropped when the
/// request fails; releasing never drops a stored response.
async fn a_claim_is_released_but_a_response_is_kept(fixture: Fixture) {
    let store = fixture.open().await;
    let key = IdempotencyKey {
        issuer: ISSUER.to_owned(),
        principal: "tok_1".to_owned(),
        key: "claimed".to_owned(),
    };
    let claim = StoredResponse {
        operation: "create".to_owned(),
        request_hash: [1; 32],
        outcome: StoredOutcome::InProgress,
        created_at: Timestamp::now(),
    };
    let mut tx = store.begin().await.unwrap();
    tx.store_response(&key, &claim).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.stored_response(&key).await.unwrap(), Some(claim.clone()));
    tx.release_claim(&key).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.stored_response(&key).await.unwrap(), None);
    let done = StoredResponse {
        outcome: StoredOutcome::Done {
            status: 201,
            sealed_body: vec![9; 8],
        },
        ..claim
    };
    tx.store_response(&key, &done).await.unwrap();
    tx.release_claim(&key).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.stored_response(&key).await.unwrap(), Some(done));
}

async fn access_requests_change_only_from_the_expected_status(fixture: Fixture) {
    let store = fixture.open().await;
    let past = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - 60_000).unwrap();
    let request = |n: u32, expires: Timestamp| AccessRequestRecord {
        issuer: ISSUER.to_owned(),
        request: serde_json::from_value(json!({
            "id": format!("req_{n:032x}"), "status": "pending", "requester": "agent:test",
            "type": "api_key", "scope": [{ "permission": "events:read" }], "ttl_seconds": 900,
            "reason": "contract", "created_at": past, "expires_at": expires,
            "auto_approved": false,
        }))
        .unwrap(),
        requester_token: "tok_agent".to_owned(),
        sealed_secret: None,
    };
    let due = request(1, past);
    let later = request(2, Timestamp::now().plus_seconds(3600));
    let mut tx = store.begin().await.unwrap();
    tx.insert_access_request(&due).await.unwrap();
    tx.insert_access_request(&later).await.unwrap();
    tx.commit().await.unwrap();
    let due_id = due.request.id.clone();
    assert_eq!(
        store
            .due_request_expiries(Timestamp::now(), 10)
            .await
            .unwrap(),
        vec![(ISSUER.to_owned(), due_id.clone())]
    );
    assert_eq!(
        store
            .access_requests(ISSUER, Some(AccessRequestStatus::Pending), None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .access_requests(ISSUER, None, Some(&due_id), 10)
            .await
            .unwrap(),
        vec![later.clone()]
    );
    let mut expired = due.clone();
    expired.request.status = AccessRequestStatus::Expired;
    let mut tx = store.begin().await.unwrap();
    let wrong = tx
        .save_access_request(&expired, AccessRequestStatus::Approved)
        .await;
    assert!(matches!(wrong, Err(StoreError::Conflict)), "{wrong:?}");
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.access_request(ISSUER, &due_id).await.unwrap(),
        Some(due.clone())
    );
    tx.save_access_request(&expired, AccessRequestStatus::Pending)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.access_request(ISSUER, &due_id).await.unwrap(),
        Some(expired)
    );
    assert!(
        store
            .due_request_expiries(Timestamp::now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn due_work_is_found(fixture: Fixture) {
    let store = fixture.open().await;
    let record = credential(1, json!({}));
    insert(&*store, &record).await;
    let now = Timestamp::now();
    assert!(store.due_for_expiry(now, 10).await.unwrap().is_empty());
    let grace_end = Timestamp::from_unix_millis(now.unix_millis() - 1).unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.save_credential(&rotated(&record, Some(grace_end)), 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.due_for_expiry(now, 10).await.unwrap(),
        vec![(ISSUER.to_owned(), id(1))],
        "a previous version whose grace period is over"
    );
}

async fn tokens_vendor_credentials_and_exposures(fixture: Fixture) {
    let store = fixture.open().await;
    let key = Key::generate();
    let minted = mint_token(
        &key,
        "contract",
        [ApiScope::CredentialsCreate].into(),
        Some(vec!["events:read".parse().unwrap()]),
    );
    store.insert_token(&minted.record).await.unwrap();
    assert_eq!(
        store.token_by_mac(&minted.record.mac).await.unwrap(),
        Some(minted.record.clone())
    );
    assert_eq!(store.token_by_mac(&[1; 32]).await.unwrap(), None);
    let again = store.insert_token(&minted.record).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");

    store
        .put_vendor_credential(ISSUER, "b_key", "jwe-1", Timestamp::now())
        .await
        .unwrap();
    store
        .put_vendor_credential(ISSUER, "a_key", "jwe-2", Timestamp::now())
        .await
        .unwrap();
    store
        .put_vendor_credential(ISSUER, "b_key", "jwe-3", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        store
            .vendor_credential(ISSUER, "b_key")
            .await
            .unwrap()
            .as_deref(),
        Some("jwe-3")
    );
    assert_eq!(
        store.vendor_credential_names(ISSUER).await.unwrap(),
        vec!["a_key", "b_key"]
    );

    let exposure = ExposureRecord {
        issuer: ISSUER.to_owned(),
        id: "exp_1".to_owned(),
        reported_at: Timestamp::now(),
        actor: "token:tok_1".to_owned(),
        source: Some("scanner".to_owned()),
        action: "report".to_owned(),
        results: json!([{ "index": 0, "matched": false }]),
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_exposure(&exposure).await.unwrap();
    tx.commit().await.unwrap();
    store.ping().await.unwrap();
}

/// Servers starting together on one location apply the migrations once between them.
async fn stores_opened_at_once_on_one_location_agree(fixture: Fixture) {
    let fixture = Arc::new(fixture);
    let opening: Vec<_> = (0..4)
        .map(|_| {
            let fixture = fixture.clone();
            tokio::spawn(async move { fixture.open().await })
        })
        .collect();
    let mut stores = Vec::new();
    for task in opening {
        stores.push(task.await.unwrap());
    }
    insert(&*stores[0], &credential(1, json!({}))).await;
    for store in &stores {
        assert!(store.credential(ISSUER, &id(1)).await.unwrap().is_some());
    }
}

/// REQ-AUD-5 under concurrency: transactions racing to record a time-driven transition (which
/// does not move the version on, so the compare-and-set alone cannot tell them apart) record it
/// once: each reads the credential as of the transactions it waited for.
async fn a_change_that_keeps_the_version_is_made_once(fixture: Fixture) {
    let store = fixture.open().await;
    let record = credential(1, json!({}));
    insert(&*store, &record).await;
    let past = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - 1).unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.save_credential(&rotated(&record, Some(past)), 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                // Read at the same moment where the store lets transactions overlap (a store
                // with one writer at a time never gets all of them here).
                let _ = tokio::time::timeout(Duration::from_millis(300), barrier.wait()).await;
                let mut record = tx.credential(ISSUER, &id(1)).await.unwrap().unwrap();
                let previous = &mut record.credential.versions[0];
                if previous.status != VersionStatus::Previous {
                    return false;
                }
                previous.status = VersionStatus::Expired;
                let expected = record.credential.current_version;
                tx.save_credential(&record, expected).await.unwrap();
                tx.append_audit(ISSUER, entry(AuditAction::VersionExpire, Some(id(1))))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                true
            })
        })
        .collect();
    let mut recorded = 0;
    for task in tasks {
        recorded += u32::from(task.await.unwrap());
    }
    assert_eq!(recorded, 1, "the transition was made once");
    assert_eq!(whole_log(&*store).await.len(), 1);
}

async fn the_first_key_check_is_kept(fixture: Fixture) {
    let (first, second) = (fixture.open().await, fixture.open().await);
    assert!(
        first.agree_key_check("check-a").await.unwrap(),
        "the first check is recorded"
    );
    assert!(second.agree_key_check("check-a").await.unwrap());
    assert!(
        !second.agree_key_check("check-b").await.unwrap(),
        "other keys disagree"
    );
    assert!(
        first.agree_key_check("check-a").await.unwrap(),
        "and change nothing"
    );
}

async fn vendor_keys_of_ended_versions_queue_until_retired(fixture: Fixture) {
    let store = fixture.open().await;
    let mut record = credential(1, json!({}));
    let key = VendorKey::new("AKIAEXAMPLE").with("user_name", "ci");
    record.versions[0].vendor_key = Some(key.clone());
    record.credential.versions[0].key_id = Some(key.id.clone());
    insert(&*store, &record).await;
    let read = store.credential(ISSUER, &id(1)).await.unwrap().unwrap();
    assert_eq!(read, record, "the vendor key and key_id round-trip");
    assert!(
        store
            .due_vendor_retirements(Timestamp::now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The version ends: its key joins the queue (rows, so a restart finds it too).
    let mut ended = record.clone();
    ended.credential.versions[0].status = VersionStatus::Revoked;
    ended.credential.status = credential_issuer_spec::CredentialStatus::Revoked;
    let mut tx = store.begin().await.unwrap();
    tx.save_credential(&ended, 1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .due_vendor_retirements(Timestamp::now(), 10)
            .await
            .unwrap(),
        vec![(ISSUER.to_owned(), id(1))]
    );
    // Deferred (the vendor was down): out of the queue until then, even across a save.
    let later = Timestamp::now().plus_seconds(60);
    store
        .defer_vendor_retirement(ISSUER, &id(1), 1, later)
        .await
        .unwrap();
    assert!(
        store
            .due_vendor_retirements(Timestamp::now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let mut tx = store.begin().await.unwrap();
    tx.save_credential(&ended, 1).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        store
            .due_vendor_retirements(Timestamp::now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.due_vendor_retirements(later, 10).await.unwrap(),
        vec![(ISSUER.to_owned(), id(1))]
    );
    // Retired: it leaves the queue.
    ended.versions[0].vendor_retired_at = Some(Timestamp::now());
    let mut tx = store.begin().await.unwrap();
    tx.save_credential(&ended, 1).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        store
            .due_vendor_retirements(later, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
