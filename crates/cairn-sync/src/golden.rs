//! Golden vectors for the wire format, committed under `fixtures/`: one message of each kind,
//! built from fixed values, compared byte for byte with the committed file and decoded back.
//! Regenerate after a deliberate format change (with a [`WIRE_VERSION`] bump) with
//! `CAIRN_UPDATE_FIXTURES=1 cargo test -p cairn-sync golden`.

use std::path::PathBuf;

use crate::wire::{
    Ack, Blobs, Changes, Final, Held, Hello, HelloReply, Message, Offer, OfferEntry, Payload, Reconcile, ReconcileReply,
    WIRE_VERSION,
};
use crate::{BlobPart, BlobWant, CaseKeyWrap, DocRef, SealedChange};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn payload() -> Payload {
    let doc = DocRef { case_id: [0x11; 16], doc_id: [0x22; 16] };
    Payload {
        case_keys: vec![CaseKeyWrap { case_id: [0x11; 16], wrapped: b"wrapped case key".to_vec() }],
        changes: vec![(doc, vec![SealedChange(b"sealed change 1".to_vec()), SealedChange(b"sealed change 2".to_vec())])],
        tombstones: vec![([0x33; 16], b"signed tombstone".to_vec())],
    }
}

/// One message of each kind, with its fixture name.
pub(crate) fn vectors() -> Vec<(&'static str, Message)> {
    vec![
        ("hello_v2.bin", Message::Hello(Hello { roster_version: Some(7), reconcile: vec![0x61, 0x00, 0x00] })),
        (
            "hello_reply_v2.bin",
            Message::HelloReply(HelloReply {
                roster_version: Some(8),
                roster: Some(b"signed roster".to_vec()),
                reconcile: vec![0x61],
            }),
        ),
        ("reconcile_v2.bin", Message::Reconcile(Reconcile { roster: None, reconcile: vec![0x61, 0x00, 0x02] })),
        ("reconcile_reply_v2.bin", Message::ReconcileReply(ReconcileReply { reconcile: vec![0x61] })),
        (
            "offer_v2.bin",
            Message::Offer(Offer {
                more: false,
                roster: Some(b"signed roster".to_vec()),
                entries: vec![
                    OfferEntry {
                        object_id: [0x22; 16],
                        held: Some(Held { case_id: [0x11; 16], heads: vec![[0xaa; 32], [0xbb; 32]] }),
                    },
                    OfferEntry { object_id: [0x44; 16], held: None },
                ],
                tombstones: vec![([0x33; 16], b"signed tombstone".to_vec())],
            }),
        ),
        (
            "changes_v2.bin",
            Message::Changes(Changes {
                more: true,
                wants: vec![(DocRef { case_id: [0x11; 16], doc_id: [0x22; 16] }, vec![[0xcc; 32]])],
                payload: payload(),
            }),
        ),
        ("final_v2.bin", Message::Final(Final { more: false, payload: Payload { tombstones: Vec::new(), ..payload() } })),
        ("ack_v2.bin", Message::Ack(Ack { wants: vec![BlobWant { case_id: [0x11; 16], address: [0xad; 32], from: 3 }] })),
        (
            "blobs_v2.bin",
            Message::Blobs(Blobs {
                more: true,
                wants: vec![BlobWant { case_id: [0x11; 16], address: [0xae; 32], from: 0 }],
                parts: vec![
                    BlobPart {
                        case_id: [0x11; 16],
                        address: [0xad; 32],
                        position: 3,
                        last: false,
                        sealed: b"sealed part 3".to_vec(),
                    },
                    BlobPart {
                        case_id: [0x11; 16],
                        address: [0xad; 32],
                        position: 4,
                        last: true,
                        sealed: b"sealed part 4".to_vec(),
                    },
                ],
            }),
        ),
    ]
}

#[test]
fn golden_messages_v2() {
    assert_eq!(WIRE_VERSION, 2, "new version: add new fixtures, keep reading or refusing the old ones");
    for (name, message) in vectors() {
        let fresh = message.encode();
        let path = fixture_path(name);
        if std::env::var_os("CAIRN_UPDATE_FIXTURES").is_some() {
            std::fs::write(&path, &fresh).expect("write fixture");
        }
        let committed = std::fs::read(&path).unwrap_or_else(|_| panic!("missing fixture {name}"));
        assert_eq!(committed, fresh, "format drift in {name}: bump the format version instead");
        assert_eq!(Message::decode(&committed).expect("decode"), message, "{name}");
    }
}

#[test]
fn messages_of_the_development_version_1_are_refused_by_version() {
    let committed = std::fs::read(fixture_path("hello_v1.bin")).expect("fixture");
    assert_eq!(Message::decode(&committed), Err(crate::WireError::UnsupportedVersion { version: 1 }));
}
