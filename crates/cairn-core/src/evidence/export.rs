//! [`Session::export_evidence`]: one case written as an evidence package (see the module
//! docs of [`crate::evidence`]).

use std::{
    collections::{BTreeMap, BTreeSet},
    io::Write,
    path::{Path, PathBuf},
};

use cairn_crypto::SignaturePurpose;
use cairn_model::{CaseRecord, ObjectId, ReceiptsRecord, id_to_hex, parse_id};
use cairn_store::{CustodyRow, StoreError};
use cairn_team::Receipt;

use super::{
    CASE_JSON_FILE, EVIDENCE_FORMAT, EvidenceOptions, MANIFEST_FILE, REPORT_FILE, ROSTER_FILE, SIGNATURE_FILE,
    attachment_path, document_path,
    manifest::{
        AttachmentEntry, ChangeEntry, DeviceEntry, DocumentEntry, ExportingDevice, Manifest, ReceiptEntry, ReportEntry,
        RosterEntry, frame,
    },
    package::{Entry, PackageWriter, is_zip_target},
    report::{ReceiptLine, ReportInput, render},
};
use crate::{
    CoreError, Session,
    cases::{CaseError, KnownSigner, custody_verdict, load_held, now_ms, read},
    export::{ExportError, cases_json},
    handover::{document_kind, receipts_doc_id},
};

/// What [`Session::export_evidence`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceExported {
    /// The package (folder or `.zip`).
    pub path: PathBuf,
    /// Whether it is a `.zip`.
    pub zip: bool,
    /// Documents of the case.
    pub documents: usize,
    /// Changes in the chain of custody.
    pub changes: usize,
    /// Changes the exporting vault flags (anything but "signed"): `cairn verify` reports them.
    pub flagged_changes: usize,
    /// Attachments written.
    pub attachments: usize,
    /// Their bytes.
    pub attachment_bytes: u64,
    /// The organisation fingerprint to verify the package with (`None` outside an
    /// organisation: then the device fingerprint).
    pub organisation_fingerprint: Option<String>,
    /// The exporting device's fingerprint.
    pub device_fingerprint: String,
    /// Whether the report shows identity fields.
    pub identity_included: bool,
}

/// One document as held: its kind, heads and every change (hash, bytes) in causal order.
struct HeldDocument {
    id: ObjectId,
    kind: &'static str,
    heads: Vec<[u8; 32]>,
    changes: Vec<([u8; 32], Vec<u8>)>,
}

/// What one read of the vault gives: the documents, the custody recorded for the case, and
/// the receipts held.
struct Held {
    documents: Vec<HeldDocument>,
    custody: BTreeMap<([u8; 16], [u8; 32]), CustodyRow>,
    receipts: Vec<(String, Vec<u8>)>,
}

fn collect(tx: &cairn_store::VaultTx<'_>, case_id: &ObjectId, author: &str) -> Result<Held, CoreError> {
    match tx.case_key(case_id) {
        Ok(_) => {}
        Err(StoreError::NotFound { .. }) => return Err(CoreError::NotFound("case")),
        Err(error) => return Err(error.into()),
    }
    let mut ids: Vec<ObjectId> = tx.case_digests(case_id)?.into_iter().map(|digest| digest.doc_id).collect();
    ids.sort_by_key(|doc_id| (doc_id != case_id, *doc_id));
    ids.dedup();
    let mut documents = Vec::with_capacity(ids.len());
    for doc_id in ids {
        // Any root will do: only the change graph is read.
        let Some(mut doc) = load_held::<CaseRecord>(tx, case_id, &doc_id, author)? else { continue };
        documents.push(HeldDocument {
            id: doc_id,
            kind: document_kind(case_id, &doc_id).as_str(),
            heads: doc.heads(),
            changes: doc.hashed_changes_since(&[]),
        });
    }
    let custody = tx.case_custody(case_id)?.into_iter().map(|row| ((row.doc_id, row.change_hash), row)).collect();
    let receipts = load_held::<ReceiptsRecord>(tx, case_id, &receipts_doc_id(case_id), author)?
        .map(|doc| doc.receipts())
        .unwrap_or_default();
    Ok(Held { documents, custody, receipts })
}

/// The chain of custody of `held`, document by document, as the manifest lists it.
fn change_entries(case_id: &ObjectId, held: &Held, known: &BTreeMap<[u8; 16], KnownSigner>) -> Vec<ChangeEntry> {
    let mut entries = Vec::new();
    for document in &held.documents {
        for (hash, _) in &document.changes {
            let row = held.custody.get(&(document.id, *hash));
            let custody = row.and_then(|row| row.custody);
            entries.push(ChangeEntry {
                document: id_to_hex(&document.id),
                hash: hex::encode(hash),
                signer: custody.map(|custody| id_to_hex(&custody.signer)),
                signature: custody.map(|custody| hex::encode(custody.signature.to_bytes())),
                first_seen_ms: row.map(|row| row.first_seen_ms),
                first_roster_version: row.and_then(|row| row.first_roster_version),
                verdict: custody_verdict(known, case_id, &document.id, hash, row).as_str().to_owned(),
            });
        }
    }
    entries
}

impl Session {
    /// Writes case `case_id` as an evidence package at `out`: a `.zip` when `out` ends in
    /// `.zip`, else a folder (created if missing; its parent must exist). See the module docs
    /// of [`crate::evidence`] for what it holds and how [`super::verify_evidence`] checks it.
    ///
    /// Refused unless this device is HQ or outside any organisation
    /// ([`ExportError::NotAllowed`]); identity fields only on HQ's vault
    /// ([`ExportError::IdentityNotAllowed`]); a case with an attachment not yet arrived
    /// ([`CaseError::NotArrived`]); an existing `.zip`, or a folder that is not empty, unless
    /// [`EvidenceOptions::overwrite`] ([`CaseError::TargetExists`]). Attachments stream from the
    /// vault into the package, hashed on the way.
    pub fn export_evidence(
        &mut self,
        case_id: &ObjectId,
        out: &Path,
        options: EvidenceOptions,
    ) -> Result<EvidenceExported, CoreError> {
        let case = self.cases_for_export(Some(case_id))?.into_iter().next().ok_or(CoreError::NotFound("case"))?;
        if options.include_identity && !self.is_hq_vault()? {
            return Err(ExportError::IdentityNotAllowed.into());
        }
        if !case.view.arriving_attachments.is_empty() {
            return Err(CaseError::NotArrived.into());
        }
        let identities = if options.include_identity { Some(self.reveal_identities(case_id)?) } else { None };
        let identity = self.evidence_identity()?;
        let known = self.custody_signers()?;
        let author = self.worker_name()?;
        let held = read(self.vault_mut(), |tx| collect(tx, case_id, &author))?;
        let changes = change_entries(case_id, &held, &known);
        let exported_at_ms = now_ms();
        let device_hex = identity.keys.device_id.to_string();
        let device_fingerprint = identity.keys.fingerprint().to_string();

        // The devices that signed a change of the case, as the roster names them, and this one.
        let signers: BTreeSet<[u8; 16]> = held
            .custody
            .values()
            .filter_map(|row| row.custody.map(|custody| custody.signer))
            .chain([identity.keys.device_id.0])
            .collect();
        let mut devices = Vec::new();
        for signer in signers {
            let name = known.get(&signer).and_then(|known| known.name.clone());
            let id = id_to_hex(&signer);
            let device_id = cairn_team::DeviceId(signer);
            let entry = match &identity.roster {
                Some(roster) => match (roster.member(device_id), roster.revocation(device_id)) {
                    (Some(member), _) => DeviceEntry {
                        id,
                        name,
                        fingerprint: member.keys.fingerprint().to_string(),
                        role: Some(member.role.as_str().to_owned()),
                        revoked_at: None,
                    },
                    (None, Some(revocation)) => DeviceEntry {
                        id,
                        name,
                        fingerprint: revocation.keys.fingerprint().to_string(),
                        role: None,
                        revoked_at: Some(revocation.revoked_at),
                    },
                    (None, None) => continue,
                },
                None if signer == identity.keys.device_id.0 => {
                    DeviceEntry { id, name, fingerprint: device_fingerprint.clone(), role: None, revoked_at: None }
                }
                None => continue,
            };
            devices.push(entry);
        }
        let receipt_lines: Vec<ReceiptLine> = held
            .receipts
            .iter()
            .map(|(signer, bytes)| ReceiptLine {
                signer: signer.clone(),
                issued_at_ms: Receipt::from_bytes(bytes).ok().map(|receipt| receipt.issued_at_ms()),
            })
            .collect();

        let zip = is_zip_target(out);
        let mut package = PackageWriter::create(out, options.overwrite)?;
        let roster = match &identity.roster {
            Some(roster) => {
                let bytes = roster.to_bytes();
                let file = package.add(ROSTER_FILE, Entry::Text, &mut |sink| write_bytes(sink, bytes))?;
                Some(RosterEntry {
                    path: file.path,
                    size: file.size,
                    sha256: file.sha256,
                    organisation_id: roster.org_id().to_string(),
                    organisation_fingerprint: roster.pin().fingerprint().to_string(),
                    version: roster.version(),
                })
            }
            None => None,
        };
        let mut documents = Vec::with_capacity(held.documents.len());
        for document in &held.documents {
            let doc_hex = id_to_hex(&document.id);
            let mut bytes = Vec::new();
            for (_, change) in &document.changes {
                frame(change, &mut bytes);
            }
            let file = package.add(&document_path(&doc_hex), Entry::Text, &mut |sink| write_bytes(sink, &bytes))?;
            documents.push(DocumentEntry {
                id: doc_hex,
                kind: document.kind.to_owned(),
                heads: document.heads.iter().map(hex::encode).collect(),
                change_count: document.changes.len() as u64,
                path: file.path,
                size: file.size,
                sha256: file.sha256,
            });
        }
        let case_json = cases_json(std::slice::from_ref(&case));
        let case_json = package.add(CASE_JSON_FILE, Entry::Text, &mut |sink| write_bytes(sink, case_json.as_bytes()))?;
        let organisation_fingerprint = roster.as_ref().map(|roster| roster.organisation_fingerprint.clone());
        let html = render(&ReportInput {
            language: options.language,
            case: &case,
            identities: identities.as_ref(),
            exported_at_ms,
            exporting_device: &device_hex,
            organisation_fingerprint: organisation_fingerprint.as_deref(),
            device_fingerprint: &device_fingerprint,
            roster_version: roster.as_ref().map(|roster| roster.version),
            documents: &documents,
            changes: &changes,
            devices: &devices,
            receipts: &receipt_lines,
        });
        let report = package.add(REPORT_FILE, Entry::Text, &mut |sink| write_bytes(sink, html.as_bytes()))?;
        drop(html);

        let mut attachments = Vec::with_capacity(case.view.record.attachments.len());
        let mut attachment_bytes = 0;
        for (key, reference) in &case.view.record.attachments {
            let attachment_id = parse_id(key)?;
            let path = attachment_path(key, &reference.file_name);
            let file = package.add(&path, Entry::Attachment(reference.stored_size), &mut |sink| {
                self.export_attachment(&attachment_id, sink).map(drop)
            })?;
            if file.sha256 != reference.stored_hash || file.size != reference.stored_size {
                return Err(CaseError::HashMismatch.into());
            }
            attachment_bytes += file.size;
            attachments.push(AttachmentEntry {
                id: key.clone(),
                file_name: reference.file_name.clone(),
                media_type: reference.media_type.clone(),
                size: file.size,
                sha256: file.sha256,
                original_size: reference.original_size,
                original_sha256: reference.original_hash.clone(),
                path,
            });
        }

        let flagged_changes = changes.iter().filter(|change| change.verdict != "signed").count();
        let manifest = Manifest {
            format: EVIDENCE_FORMAT.to_owned(),
            cairn_version: env!("CARGO_PKG_VERSION").to_owned(),
            case_id: id_to_hex(case_id),
            case_deleted: case.deleted,
            exported_at_ms,
            exporting_device: ExportingDevice {
                id: device_hex,
                signing_key: hex::encode(identity.keys.signing.to_bytes()),
                agreement_key: hex::encode(identity.keys.agreement.to_bytes()),
                fingerprint: device_fingerprint.clone(),
            },
            roster,
            case_json,
            report: ReportEntry {
                path: report.path,
                size: report.size,
                sha256: report.sha256,
                language: options.language.code().to_owned(),
                identity_included: options.include_identity,
            },
            documents,
            changes,
            devices,
            receipts: held
                .receipts
                .iter()
                .map(|(signer, bytes)| ReceiptEntry { signer: signer.clone(), bytes: hex::encode(bytes) })
                .collect(),
            attachments,
        };
        let manifest_bytes = manifest.to_bytes();
        let signature = identity.signing.sign(SignaturePurpose::EvidenceManifest, &manifest_bytes);
        let signature_text = format!("{}\n", hex::encode(signature.to_bytes()));
        package.add(MANIFEST_FILE, Entry::Text, &mut |sink| write_bytes(sink, &manifest_bytes))?;
        package.add(SIGNATURE_FILE, Entry::Text, &mut |sink| write_bytes(sink, signature_text.as_bytes()))?;
        package.finish()?;
        Ok(EvidenceExported {
            path: out.to_path_buf(),
            zip,
            documents: manifest.documents.len(),
            changes: manifest.changes.len(),
            flagged_changes,
            attachments: manifest.attachments.len(),
            attachment_bytes,
            organisation_fingerprint,
            device_fingerprint,
            identity_included: options.include_identity,
        })
    }
}

fn write_bytes(sink: &mut dyn Write, bytes: &[u8]) -> Result<(), CoreError> {
    sink.write_all(bytes).map_err(|error| super::package::io_error(error.kind()))
}
