//! One credential's recovery, step by step, each step journaled before it is relied on:
//!
//! 1. `Begin` (the rotation's `Idempotency-Key`, `If-Match` version and the previous secret) is
//!    fsynced, then the rotation is sent; a lost answer is asked again with the same key, so a
//!    resumed run never rotates twice (REQ-IDEM-2; `If-Match`, REQ-ROT-1);
//! 2. `Rotated` (the new secret) is fsynced before the secret goes anywhere;
//! 3. the secret is installed into every target (`Installed` each);
//! 4. every health check runs with it (`Checked` each);
//! 5. only then is the previous version revoked (`Revoked`, then `Done`).
//!
//! On a failure in 3 or 4 the previous secret (still valid: overlap) is put back into the
//! targets already changed (`Restored`), the previous version is left valid, and the credential
//! is marked for a person (`NeedsPerson`).

use credential_issuer_spec::operations::revoke::RevokeRequest;
use credential_issuer_spec::operations::rotate::RotateRequest;
use credential_issuer_spec::{CredentialStatus, RotationMode, Secret, VersionStatus};

use super::RecoverOptions;
use crate::Issuer;
use crate::recovery::Issuers;
use crate::recovery::journal::{Journal, Record, State};
use crate::recovery::plan::PlanItem;
use crate::recovery::progress::{Progress, Step};
use crate::recovery::report::{CredentialReport, Outcome};
use crate::recovery::targets::{Installer, Readback};

/// What every credential's recovery shares.
#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    pub(crate) issuers: &'a Issuers,
    pub(crate) journal: &'a Journal,
    pub(crate) installer: &'a Installer,
    pub(crate) options: &'a RecoverOptions,
    pub(crate) progress: &'a dyn Progress,
}

/// Why one credential stopped, in one line (never a secret).
struct Stop(String);

impl From<crate::recovery::RecoveryError> for Stop {
    fn from(error: crate::recovery::RecoveryError) -> Self {
        Self(error.to_string())
    }
}

/// Recovers one credential; never fails as a whole: the outcome says how it ended.
pub(crate) async fn recover_one(context: &Context<'_>, item: &PlanItem) -> CredentialReport {
    let mut report = CredentialReport {
        issuer: item.issuer.clone(),
        credential_id: item.credential_id.clone(),
        env: item.env.clone(),
        outcome: Outcome::Recovered,
        mode: item.mode,
        from_version: None,
        new_version: None,
        targets_installed: 0,
        targets: item.targets.len(),
        checks_passed: 0,
        checks: item.health.len(),
        previous_revoked: false,
        targets_restored: 0,
        notes: Vec::new(),
    };
    if let Some(reason) = &item.mode_reason {
        report.notes.push(format!("immediate rotation: {reason}"));
    }
    let outcome = run(context, item, &mut report).await;
    report.outcome = match outcome {
        Ok(outcome) => outcome,
        Err(Stop(reason)) if context.options.dry_run => Outcome::NeedsPerson { reason },
        Err(Stop(reason)) => {
            let _ = context
                .journal
                .append_async(
                    &item.issuer,
                    &item.credential_id,
                    Record::NeedsPerson {
                        reason: reason.clone(),
                    },
                )
                .await;
            context.progress.step(
                &item.issuer,
                &item.credential_id,
                &Step::Failed(reason.clone()),
            );
            Outcome::NeedsPerson { reason }
        }
    };
    report
}

async fn run(
    context: &Context<'_>,
    item: &PlanItem,
    report: &mut CredentialReport,
) -> Result<Outcome, Stop> {
    let (journal, id, issuer_url) = (context.journal, &item.credential_id, item.issuer.as_str());
    let say = |step: Step| context.progress.step(issuer_url, id, &step);
    if let Some(problem) = &item.problem {
        return Err(Stop(problem.clone()));
    }
    let issuer = context
        .issuers
        .get(issuer_url)
        .ok_or_else(|| Stop(format!("issuer {issuer_url} was not discovered")))?;
    let records = journal.load(issuer_url, id)?;
    let state = State::from_records(&records);
    if let Some((from, mode, _, _)) = &state.begun {
        report.from_version = Some(*from);
        report.mode = *mode;
    }
    if let Some((version, _)) = &state.rotated {
        report.new_version = Some(*version);
    }
    report.targets_installed = state.installed.len();
    report.checks_passed = state.checked.len();
    report.previous_revoked = state.revoked;
    report.targets_restored = state.restored.len();
    if state.done {
        report
            .notes
            .push("finished in an earlier run (journal)".into());
        return Ok(Outcome::Recovered);
    }
    if let Some(reason) = &state.needs_person
        && !context.options.provided.contains_key(id)
    {
        report
            .notes
            .push("stopped for a person in an earlier run (journal)".into());
        return Ok(Outcome::NeedsPerson {
            reason: reason.clone(),
        });
    }
    if context.options.dry_run {
        return Ok(Outcome::Planned);
    }

    // 1-2: the new secret, journaled.
    let (from_version, mode, new_version, new_secret, previous) =
        match (&state.begun, &state.rotated) {
            (Some((from, mode, _, previous)), Some((version, secret))) => {
                report
                    .notes
                    .push("resumed after the rotation (journal)".into());
                (*from, *mode, *version, secret.clone(), previous.clone())
            }
            (Some((from, mode, key, previous)), None) => {
                report.notes.push(
                    "resumed: the rotation's answer was asked again with its Idempotency-Key"
                        .into(),
                );
                let (version, secret) = rotate(*context, issuer, item, *mode, *from, key).await?;
                (*from, *mode, version, secret, previous.clone())
            }
            (None, _) => match begin(context, issuer, item, report).await? {
                Some(started) => started,
                None => {
                    let manual = item.manual.as_ref();
                    let instructions = manual.map_or_else(String::new, |m| {
                        format!(
                            "{} at {}; then run credctl recover --provide {} --secret-file FILE",
                            m.instructions, m.console_url, id
                        )
                    });
                    say(Step::Waiting(instructions.clone()));
                    return Ok(Outcome::AwaitingManualStep { instructions });
                }
            },
        };
    report.from_version = Some(from_version);
    report.new_version = Some(new_version);
    report.mode = mode;
    say(Step::Rotated(new_version));

    // 3: install everywhere.
    let mut installed = state.installed.clone();
    for (index, target) in item.targets.iter().enumerate() {
        if installed.contains(&index) {
            continue;
        }
        if let Err(error) = context
            .installer
            .install(target, &item.env, &new_secret)
            .await
        {
            return Err(roll_back(
                context,
                item,
                report,
                &installed,
                Some(index),
                mode,
                previous.as_ref(),
                error.to_string(),
            )
            .await);
        }
        journal
            .append_async(issuer_url, id, Record::Installed { target: index })
            .await?;
        installed.push(index);
        report.targets_installed = installed.len();
        say(Step::Installed(target.to_string()));
    }

    // 4: every check, with the new secret.
    for (index, check) in item.health.iter().enumerate() {
        if state.checked.contains(&index) {
            continue;
        }
        if let Err(failed) =
            crate::recovery::health::run(check, context.installer.base(), &item.env, &new_secret)
                .await
        {
            return Err(roll_back(
                context,
                item,
                report,
                &installed,
                None,
                mode,
                previous.as_ref(),
                failed.to_string(),
            )
            .await);
        }
        journal
            .append_async(issuer_url, id, Record::Checked { check: index })
            .await?;
        report.checks_passed += 1;
        say(Step::Checked(check.to_string()));
    }

    // 5: revoke the previous version, now that nothing needs it.
    if mode == RotationMode::Immediate {
        report.previous_revoked = true;
    } else if !state.revoked {
        if let Some(manual) = &item.manual_revoke {
            let instructions = format!(
                "revoke version {from_version} by hand: {} at {}",
                manual.instructions, manual.console_url
            );
            say(Step::Waiting(instructions.clone()));
            return Ok(Outcome::AwaitingManualStep { instructions });
        }
        // Resumed: the revocation may have happened just before the crash, unjournaled.
        let already = !records.is_empty()
            && issuer.get(id).await.is_ok_and(|credential| {
                credential
                    .version(from_version)
                    .is_some_and(|v| v.status == VersionStatus::Revoked)
            });
        if !already {
            revoke_previous(issuer, item, from_version).await?;
        }
        journal
            .append_async(
                issuer_url,
                id,
                Record::Revoked {
                    version: from_version,
                },
            )
            .await?;
        report.previous_revoked = true;
        say(Step::Revoked(from_version));
    }
    journal.append_async(issuer_url, id, Record::Done).await?;
    say(Step::Done);
    Ok(Outcome::Recovered)
}

type Started = (u32, RotationMode, u32, Secret, Option<Secret>);

/// Starts a credential: the `Begin` record, then the rotation (or the secret a person provided).
/// `None` when a person must rotate it first.
async fn begin(
    context: &Context<'_>,
    issuer: &Issuer,
    item: &PlanItem,
    report: &mut CredentialReport,
) -> Result<Option<Started>, Stop> {
    let (journal, id, issuer_url) = (context.journal, &item.credential_id, item.issuer.as_str());
    let previous = item.exposed_secret.clone().or_else(|| {
        item.targets
            .iter()
            .find_map(|target| match context.installer.read(target, &item.env) {
                Readback::Holds(secret) => Some(secret),
                _ => None,
            })
    });
    let credential = issuer
        .get(id)
        .await
        .map_err(|e| Stop(format!("the issuer does not give the credential: {e}")))?;
    if credential.status != CredentialStatus::Active {
        return Err(Stop(format!(
            "the credential is {} at the issuer: nothing to rotate",
            credential.status.as_str()
        )));
    }
    let from_version = credential.current_version;
    report.from_version = Some(from_version);
    if item.manual.is_some() {
        let Some(provided) = context.options.provided.get(id) else {
            return Ok(None);
        };
        let answer = issuer
            .introspect(provided)
            .await
            .map_err(|e| Stop(format!("cannot introspect the provided secret: {e}")))?;
        if !answer.active || answer.credential_id.as_ref() != Some(id) {
            return Err(Stop(
                "the provided secret is not an active secret of this credential".into(),
            ));
        }
        let version = answer.version.unwrap_or(from_version);
        let from = if version == from_version {
            // The person's new version is current; the one before it is the exposed one.
            credential
                .versions
                .iter()
                .filter(|v| v.version < version && v.status != VersionStatus::Revoked)
                .map(|v| v.version)
                .max()
                .unwrap_or(from_version)
        } else {
            from_version
        };
        journal
            .append_async(
                issuer_url,
                id,
                Record::Begin {
                    issuer: issuer_url.to_owned(),
                    credential_id: id.clone(),
                    from_version: from,
                    mode: item.mode,
                    idempotency_key: String::new(),
                    previous_secret: previous.clone(),
                },
            )
            .await?;
        journal
            .append_async(
                issuer_url,
                id,
                Record::Rotated {
                    version,
                    secret: provided.clone(),
                },
            )
            .await?;
        return Ok(Some((from, item.mode, version, provided.clone(), previous)));
    }
    let key = uuid::Uuid::new_v4().to_string();
    journal
        .append_async(
            issuer_url,
            id,
            Record::Begin {
                issuer: issuer_url.to_owned(),
                credential_id: id.clone(),
                from_version,
                mode: item.mode,
                idempotency_key: key.clone(),
                previous_secret: previous.clone(),
            },
        )
        .await?;
    context.progress.step(issuer_url, id, &Step::Rotating);
    let (version, secret) = rotate(*context, issuer, item, item.mode, from_version, &key).await?;
    Ok(Some((from_version, item.mode, version, secret, previous)))
}

/// The rotation, with `If-Match` on the version being replaced and the journaled key (a lost
/// answer is asked again by the client's transport, and the same key gets the same rotation),
/// then its new version and secret journaled before anything relies on them.
async fn rotate(
    context: Context<'_>,
    issuer: &Issuer,
    item: &PlanItem,
    mode: RotationMode,
    from_version: u32,
    key: &str,
) -> Result<(u32, Secret), Stop> {
    let request = RotateRequest {
        mode: Some(mode),
        grace_period_seconds: match mode {
            RotationMode::Overlap => context.options.grace_period_seconds,
            _ => None,
        },
        scope: None,
    };
    let issued = issuer
        .rotate_keyed(&item.credential_id, &request, Some(from_version), key)
        .await
        .map_err(|error| {
            Stop(format!(
                "the rotation failed ({error}); nothing was changed, the previous version is valid"
            ))
        })?;
    let version = issued.credential.current_version;
    context
        .journal
        .append_async(
            item.issuer.as_str(),
            &item.credential_id,
            Record::Rotated {
                version,
                secret: issued.secret.clone(),
            },
        )
        .await?;
    Ok((version, issued.secret))
}

async fn revoke_previous(issuer: &Issuer, item: &PlanItem, version: u32) -> Result<(), Stop> {
    let request = RevokeRequest {
        version: Some(version),
        reason: Some(
            "credctl recover: replaced after exposure; every target holds the new secret".into(),
        ),
    };
    match issuer.revoke(&item.credential_id, &request).await {
        Ok(_) => Ok(()),
        Err(error) => {
            // Already revoked (a run that died after revoking, before journaling it)?
            if let Ok(credential) = issuer.get(&item.credential_id).await
                && credential
                    .version(version)
                    .is_some_and(|v| v.status == VersionStatus::Revoked)
            {
                return Ok(());
            }
            Err(Stop(format!(
                "every target holds the new secret and every check passed, but revoking version {version} failed: {error}"
            )))
        }
    }
}

/// Puts the previous secret back into the targets changed so far (and the one that failed), and
/// says why the credential stopped.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site each; the state of one step"
)]
async fn roll_back(
    context: &Context<'_>,
    item: &PlanItem,
    report: &mut CredentialReport,
    installed: &[usize],
    failed_target: Option<usize>,
    mode: RotationMode,
    previous: Option<&Secret>,
    reason: String,
) -> Stop {
    let (journal, id, issuer_url) = (context.journal, &item.credential_id, item.issuer.as_str());
    let mut touched: Vec<usize> = installed.to_vec();
    touched.extend(failed_target);
    let mut restored = Vec::new();
    let mut notes = Vec::new();
    match (mode, previous) {
        (RotationMode::Immediate, _) => notes.push(
            "the rotation was immediate: the previous secret no longer works, so the new one was left in place"
                .to_owned(),
        ),
        (_, None) => notes.push(
            "the previous secret is not known (not exposed, no readable target): targets keep the new one"
                .to_owned(),
        ),
        (_, Some(previous)) => {
            for index in touched {
                let Some(target) = item.targets.get(index) else {
                    continue;
                };
                match context.installer.install(target, &item.env, previous).await {
                    Ok(()) => {
                        let _ = journal
                            .append_async(issuer_url, id, Record::Restored { target: index })
                            .await;
                        restored.push(index);
                        context
                            .progress
                            .step(issuer_url, id, &Step::Restored(target.to_string()));
                    }
                    Err(error) => notes.push(format!("could not put the previous secret back: {error}")),
                }
            }
            notes.push(
                "the previous version was left valid until its grace period ends; the new version exists too"
                    .to_owned(),
            );
        }
    }
    report.targets_restored = restored.len();
    report.targets_installed = installed.iter().filter(|i| !restored.contains(i)).count();
    report.notes.extend(notes);
    Stop(reason)
}
