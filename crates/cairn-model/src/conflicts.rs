//! Concurrent edits of the same field: Automerge keeps every concurrent value; the document
//! shows a deterministic winner and this module reports all of them (value, who, when), so a
//! person can choose. Concurrent edits of collaborative text never conflict: they merge.

use automerge::{ActorId, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable};

use crate::{Document, Millis, ModelError};

/// One field with more than one concurrent value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Where the field is, as keys from the root joined by `/` (e.g. `title`,
    /// `persons/<id>/pseudonym`).
    pub path: String,
    /// The concurrent values, in a deterministic order that is the same on every device.
    pub values: Vec<ConflictValue>,
}

/// One of the concurrent values of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictValue {
    /// The value as text (objects as `(map)`, `(list)` or `(text)`).
    pub value: String,
    /// Whether the value is an object rather than a single value.
    pub is_object: bool,
    /// The worker whose edit wrote it (as recorded in the change).
    pub by: String,
    /// When that edit was made, milliseconds since the Unix epoch.
    pub at: Millis,
    /// Whether this is the value currently shown.
    pub shown: bool,
    /// For a sealed identity value, its sealed bytes, and `value` is empty: cairn-core opens
    /// it where this device may read it (then `value` holds the text and this is `None`).
    pub sealed: Option<Vec<u8>>,
}

/// A value found by the walk: op id, rendering, is object, shown, sealed bytes.
type FoundValue = (ObjId, String, bool, bool, Option<Vec<u8>>);
/// A conflict found by the walk: its path and its values.
type FoundConflict = (String, Vec<FoundValue>);

struct ChangeInfo {
    actor: ActorId,
    first_op: u64,
    last_op: u64,
    time: i64,
}

impl<R: autosurgeon::Hydrate + autosurgeon::Reconcile> Document<R> {
    /// Every field that has concurrent values.
    pub fn conflicts(&mut self) -> Result<Vec<Conflict>, ModelError> {
        let mut found = Vec::new();
        let mut path = Vec::new();
        self.walk(&ROOT, &mut path, &mut found, 0)?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        // Who and when come from the changes that wrote each value: decoded only when there
        // is a conflict to describe.
        let changes: Vec<ChangeInfo> = self
            .doc
            .get_changes(&[])
            .into_iter()
            .map(|change| ChangeInfo {
                actor: change.actor_id().clone(),
                first_op: change.start_op().get(),
                last_op: change.max_op(),
                time: change.timestamp(),
            })
            .collect();
        Ok(found
            .into_iter()
            .map(|(path, values)| Conflict {
                path,
                values: values
                    .into_iter()
                    .map(|(op, value, is_object, shown, sealed)| {
                        let (by, at) = self.who_and_when(&op, &changes);
                        ConflictValue { value, is_object, by, at, shown, sealed }
                    })
                    .collect(),
            })
            .collect())
    }

    fn walk(
        &self,
        obj: &ObjId,
        path: &mut Vec<String>,
        found: &mut Vec<FoundConflict>,
        depth: usize,
    ) -> Result<(), ModelError> {
        if depth > 32 {
            return Err(ModelError::DocumentShape);
        }
        let props: Vec<Prop> = match self.doc.object_type(obj)? {
            ObjType::Map | ObjType::Table => self.doc.keys(obj).map(Prop::Map).collect(),
            ObjType::List => (0..self.doc.length(obj)).map(Prop::Seq).collect(),
            ObjType::Text => return Ok(()),
        };
        for prop in props {
            let all = self.doc.get_all(obj, prop.clone())?;
            let segment = match &prop {
                Prop::Map(key) => key.clone(),
                Prop::Seq(index) => index.to_string(),
            };
            path.push(segment);
            if all.len() > 1 {
                let shown = self.doc.get(obj, prop.clone())?.map(|(_, id)| id);
                let values = all
                    .iter()
                    .map(|(value, id)| {
                        let sealed = match value {
                            Value::Scalar(scalar) => match scalar.as_ref() {
                                ScalarValue::Bytes(bytes) => Some(bytes.clone()),
                                _ => None,
                            },
                            Value::Object(_) => None,
                        };
                        let rendered = if sealed.is_some() { String::new() } else { render(value) };
                        (id.clone(), rendered, matches!(value, Value::Object(_)), shown.as_ref() == Some(id), sealed)
                    })
                    .collect();
                found.push((path.join("/"), values));
            }
            if let Some((Value::Object(_), child)) = self.doc.get(obj, prop)? {
                self.walk(&child, path, found, depth + 1)?;
            }
            path.pop();
        }
        Ok(())
    }

    fn who_and_when(&self, op: &ObjId, changes: &[ChangeInfo]) -> (String, Millis) {
        let ObjId::Id(counter, actor, _) = op else { return (String::new(), 0) };
        let by = self
            .doc
            .get_author_for_actor(actor)
            .map(|author| String::from_utf8_lossy(author.as_bytes()).into_owned())
            .unwrap_or_else(|| format!("actor {}", short_hex(actor.to_bytes())));
        let at = changes
            .iter()
            .find(|change| &change.actor == actor && (change.first_op..=change.last_op).contains(counter))
            .map(|change| change.time)
            .unwrap_or(0);
        (by, at)
    }

    /// Resolves the conflict at `path` by keeping value number `choice` (an index into
    /// [`Conflict::values`]). The choice is written as a new edit that supersedes every
    /// concurrent value, so the resolution itself syncs like any edit.
    pub fn resolve_conflict(&mut self, path: &str, choice: usize, now: Millis) -> Result<(), ModelError> {
        let (obj, prop) = self.conflicted(path)?;
        let all = self.doc.get_all(&obj, prop.clone())?;
        let (value, _) = all.get(choice).ok_or(ModelError::InvalidChoice)?;
        let Value::Scalar(scalar) = value else { return Err(ModelError::ConflictNotResolvable) };
        let scalar: ScalarValue = scalar.clone().into_owned();
        self.doc.put(&obj, prop, scalar)?;
        self.commit(now);
        Ok(())
    }

    /// The object and key of the field at `path`, which must hold concurrent values now
    /// (else [`ModelError::NoSuchConflict`]: it may have been resolved meanwhile).
    pub(crate) fn conflicted(&self, path: &str) -> Result<(ObjId, Prop), ModelError> {
        let segments: Vec<&str> = path.split('/').collect();
        let (last, parents) = segments.split_last().ok_or(ModelError::NoSuchConflict)?;
        let mut obj = ROOT;
        for segment in parents {
            obj = self.child(&obj, segment).ok_or(ModelError::NoSuchConflict)?;
        }
        let prop = self.prop_of(&obj, last).ok_or(ModelError::NoSuchConflict)?;
        if self.doc.get_all(&obj, prop.clone())?.len() < 2 {
            return Err(ModelError::NoSuchConflict);
        }
        Ok((obj, prop))
    }

    fn prop_of(&self, obj: &ObjId, segment: &str) -> Option<Prop> {
        match self.doc.object_type(obj).ok()? {
            ObjType::Map | ObjType::Table => Some(Prop::Map(segment.to_owned())),
            ObjType::List => segment.parse().ok().map(Prop::Seq),
            ObjType::Text => None,
        }
    }

    pub(crate) fn child(&self, obj: &ObjId, segment: &str) -> Option<ObjId> {
        let prop = self.prop_of(obj, segment)?;
        match self.doc.get(obj, prop).ok()? {
            Some((Value::Object(_), id)) => Some(id),
            _ => None,
        }
    }
}

fn render(value: &Value<'_>) -> String {
    match value {
        Value::Object(ObjType::Map | ObjType::Table) => "(map)".to_owned(),
        Value::Object(ObjType::List) => "(list)".to_owned(),
        Value::Object(ObjType::Text) => "(text)".to_owned(),
        Value::Scalar(scalar) => match scalar.as_ref() {
            ScalarValue::Str(text) => text.to_string(),
            ScalarValue::Int(number) => number.to_string(),
            ScalarValue::Uint(number) => number.to_string(),
            ScalarValue::F64(number) => number.to_string(),
            ScalarValue::Boolean(flag) => flag.to_string(),
            ScalarValue::Timestamp(time) => time.to_string(),
            ScalarValue::Counter(counter) => i64::from(counter).to_string(),
            ScalarValue::Null => String::new(),
            ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } => "(bytes)".to_owned(),
        },
    }
}

fn short_hex(bytes: &[u8]) -> String {
    hex::encode(&bytes[..bytes.len().min(4)])
}
