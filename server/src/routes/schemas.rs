//! JSON Schemas of the request and response bodies, for the OpenAPI
//! document. They describe the engine's sync messages as serde writes them;
//! a test checks real messages against them.

use ridewire_engine::diagnostics::request::{
    MAX_CODES, MAX_QUERY_CHARS, MAX_SYMPTOM_CHARS, MAX_SYMPTOMS, MAX_VEHICLE_NAME_CHARS, YEARS,
};
use ridewire_engine::sync::MAX_PUSH_EVENTS;
use ridewire_engine::sync::record::{MAX_FIELDS, MAX_NAME};
use serde_json::{Value, json};

use crate::auth::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::routes::auth::{EMAIL_PATTERN, MAX_EMAIL_CHARS};

/// Unicode's White_Space, what Rust's `trim` and `is_whitespace` mean, as a
/// regex character-class body every JSON Schema validator reads alike.
const SPACE: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode's Cc), as a character-class body.
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// A name shown to others: no control characters, no spaces around it.
pub fn name_pattern() -> String {
    format!("^[^{SPACE}{CONTROL}]([^{CONTROL}]*[^{SPACE}{CONTROL}])?$")
}

/// Characters that show nothing or turn text around
/// (`ridewire_engine::sync::leaderboard::invisible`), as a regex class body.
const INVISIBLE: &str = r"\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb";

/// A leaderboard display name: [`name_pattern`] without invisible
/// characters either.
pub fn display_name_pattern() -> String {
    format!(
        "^[^{SPACE}{CONTROL}{INVISIBLE}]([^{CONTROL}{INVISIBLE}]*[^{SPACE}{CONTROL}{INVISIBLE}])?$"
    )
}

/// Text without control characters: names, keys.
fn printable(min: usize, max: usize) -> Value {
    json!({"type": "string", "minLength": min, "maxLength": max,
        "pattern": format!("^[^{CONTROL}]*$")})
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

const UUID: &str = "uuid";

/// Every schema by name.
pub fn all() -> Value {
    let hash = json!({"type": "string", "pattern": "^[0-9a-f]{64}$"});
    let uuid = json!({"type": "string", "format": UUID});
    let cursor = json!({"type": "string", "description": "EPOCH.POSITION, or empty for the start"});
    let mut all = json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}
        },
        "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
        "Credentials": {
            "type": "object", "required": ["email", "password"], "additionalProperties": false,
            "properties": {
                "email": {"type": "string", "maxLength": MAX_EMAIL_CHARS, "pattern": EMAIL_PATTERN,
                    "description": "Compared without case and without spaces around it"},
                "password": {"type": "string", "minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS}
            }
        },
        "PasswordChange": {
            "type": "object", "required": ["current_password", "new_password"], "additionalProperties": false,
            "properties": {"current_password": {"type": "string", "maxLength": MAX_PASSWORD_CHARS},
                "new_password": {"type": "string", "minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS}}
        },
        "RefreshRequest": {
            "type": "object", "required": ["refresh_token"], "additionalProperties": false,
            "properties": {"refresh_token": {"type": "string"}}
        },
        "Account": {
            "type": "object", "required": ["id", "email", "role"],
            "properties": {"id": {"type": "integer"}, "email": {"type": "string"},
                "role": {"enum": ["user", "seller", "admin"]}}
        },
        "NewValidation": {
            "type": "object", "required": ["completion"], "additionalProperties": false,
            "properties": {"completion": {"type": "string", "format": UUID,
                "description": "Id of the other rider's quest_completed event"}}
        },
        "Validation": {
            "type": "object", "required": ["completion", "quest", "event_id"],
            "properties": {"completion": uuid, "quest": {"type": "string"}, "event_id": uuid}
        },
        "RoleChange": {
            "type": "object", "required": ["role"], "additionalProperties": false,
            "properties": {"role": {"enum": ["user", "seller", "admin"]}}
        },
        "Session": {
            "type": "object",
            "required": ["access_token", "refresh_token", "token_type", "expires_in", "refresh_expires_in", "user"],
            "properties": {
                "access_token": {"type": "string"}, "refresh_token": {"type": "string"},
                "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"},
                "refresh_expires_in": {"type": "integer"}, "user": r("Account")
            }
        },
        "Event": {
            "type": "object",
            "required": ["id", "device", "seq", "at_ms", "utc_offset_min", "prev_hash", "kind", "hash"],
            "properties": {
                "id": uuid, "device": uuid, "seq": {"type": "integer", "minimum": 1},
                "at_ms": {"type": "integer"}, "utc_offset_min": {"type": "integer"},
                "prev_hash": hash, "hash": hash,
                "kind": {"enum": ["quest_started", "step_checked", "quest_completed",
                    "diagnostic_run", "ar_scan", "proof_submitted", "proof_validated", "photo_submitted",
                    "diagnosis_reviewed"]}
            },
            "description": "Fields of the kind (quest, step, ...) sit beside these."
        },
        "PushRequest": {
            "type": "object", "required": ["device", "events"],
            "properties": {"device": uuid, "events": {"type": "array", "maxItems": MAX_PUSH_EVENTS,
                "items": {"type": "object", "description": "An Event. Each is judged on its own: one that does not read as an Event (an unknown kind from a newer app, a missing field) is not stored and comes back in `rejected` with reason bad_payload, and the rest of the batch goes on"}}}
        },
        "Rejected": {
            "type": "object", "required": ["event_id", "seq", "reason"],
            "properties": {"event_id": uuid, "seq": {"type": "integer"},
                "reason": {"enum": ["hash_mismatch", "broken_chain", "wrong_device", "duplicate_id",
                    "conflicting_sequence", "forged_value", "bad_payload", "from_the_future",
                    "clock_went_back", "field_too_long", "unverified_diagnosis", "server_only",
                    "unknown_vehicle", "photo_not_uploaded"]}}
        },
        "PushResponse": {
            "type": "object", "required": ["device", "acked_through", "rejected"],
            "properties": {"device": uuid, "acked_through": {"type": "integer"},
                "rejected": {"type": "array", "items": r("Rejected")}}
        },
        "Gap": {
            "type": "object", "required": ["expected_seq"],
            "properties": {"expected_seq": {"type": "integer"}}
        },
        "ProgressSummary": {
            "type": "object", "required": ["xp", "level", "achievements", "events"],
            "properties": {"xp": {"type": "integer"}, "level": {"type": "integer"},
                "achievements": {"type": "array", "items": {"type": "string"}},
                "events": {"type": "integer"}}
        },
        "Change": {
            "oneOf": [
                {"type": "object", "required": ["type", "event"],
                 "properties": {"type": {"const": "event"}, "event": r("Event")}},
                {"type": "object", "required": ["type", "id", "title", "markdown", "version"],
                 "properties": {"type": {"const": "plan"}, "id": {"type": "string"},
                    "title": {"type": "string"}, "markdown": {"type": "string"}, "version": {"type": "integer"}}},
                {"type": "object", "required": ["type", "body"],
                 "properties": {"type": {"const": "catalog"}, "body": r("Catalog")}},
                {"type": "object", "required": ["type", "vehicle", "body", "version"],
                 "properties": {"type": {"const": "overlay_pack"}, "vehicle": {"type": "string"},
                    "body": r("OverlayPack"), "version": {"type": "integer"}}},
                {"type": "object", "required": ["type", "record"],
                 "properties": {"type": {"const": "record"}, "record": r("Record")}}
            ]
        },
        "PullResponse": {
            "type": "object", "required": ["cursor", "reset", "changes", "more", "progress"],
            "properties": {"cursor": cursor, "reset": {"type": "boolean"},
                "changes": {"type": "array", "maxItems": 1000, "items": r("Change")},
                "more": {"type": "boolean"}, "progress": r("ProgressSummary")}
        },
        "Field": {
            "type": "object", "required": ["value", "changed_in"],
            "properties": {"value": {}, "changed_in": {"type": "integer"}}
        },
        "Record": {
            "type": "object", "required": ["kind", "key", "version", "fields"],
            "properties": {"kind": {"enum": ["vehicle", "ar_anchor", "plan", "booking"],
                    "description": "booking: one of the account's bookings, written by the server only"}, "key": {"type": "string"},
                "version": {"type": "integer"},
                "fields": {"type": "object", "additionalProperties": r("Field")}}
        },
        "Edit": {
            "type": "object", "required": ["kind", "key", "base_version", "changes"],
            "properties": {"kind": {"enum": ["vehicle", "ar_anchor", "plan"],
                    "description": "Devices write these kinds; a booking record is the server's (400 server_only)"}, "key": printable(1, MAX_NAME),
                "base_version": {"type": "integer", "minimum": 0, "maximum": u64::MAX,
                    "description": "The version the edit was made on; 0 for a new record"},
                "changes": {"type": "object", "minProperties": 1, "maxProperties": MAX_FIELDS,
                    "propertyNames": printable(1, MAX_NAME),
                    "description": "New values by field name (each at most 16 KiB as JSON; a field named vin, at any depth, holds null or at most the last 6 characters)"}}
        },
        "Conflict": {
            "type": "object", "required": ["current", "fields"],
            "properties": {"current": r("Record"), "fields": {"type": "array", "items": {"type": "string"}}}
        },
        "Plan": {
            "type": "object", "required": ["id", "title", "markdown", "version"],
            "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                "markdown": {"type": "string"}, "version": {"type": "integer"}}
        },
        "PlanUpload": {
            "type": "object", "required": ["markdown"], "additionalProperties": false,
            "properties": {"markdown": {"type": "string"}, "title": {"type": "string"}}
        },
        "Catalog": {
            "type": "object", "required": ["quests", "zones"],
            "properties": {"quests": {"type": "object"}, "zones": {"type": "object"}}
        },
        "OverlayPack": {
            "type": "object", "required": ["components"],
            "properties": {"components": {"type": "array"}}
        },
        "Published": {
            "type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}}
        },
        "Export": {
            "type": "object", "required": ["account", "devices", "events", "rejected_events", "records"],
            "properties": {"account": r("Account"), "devices": {"type": "array"},
                "events": {"type": "array", "items": r("Event")},
                "rejected_events": {"type": "array"}, "records": {"type": "array", "items": r("Record")},
                "diagnostic_runs": {"type": "array", "items": r("DiagnosticRun")},
                "leaderboard": r("DisplayName")}
        }
    });
    // The account's photos, added here: one more property in the literal
    // above is past what `json!` expands.
    all["Export"]["properties"]["photos"] = json!({"type": "array", "items": r("StoredPhoto"),
        "description": "Every photo the account uploaded, the JPEG included"});
    all["Export"]["properties"]["workshops"] = json!({"type": "array", "items": r("Membership"),
        "description": "The workshops the account belongs to, as staff or customer, with what it shares"});
    all["Export"]["properties"]["bookings"] = json!({"type": "array", "items": r("Booking"),
        "description": "The account's bookings at any workshop, cancelled ones included"});
    for part in [
        diagnostics(),
        leaderboards(),
        photos(),
        workshops(),
        bookings(),
        reviews(),
        workshop_plans(),
    ] {
        if let (Some(all), Value::Object(more)) = (all.as_object_mut(), part) {
            all.extend(more);
        }
    }
    all
}

/// The diagnostics resource's schemas.
fn diagnostics() -> Value {
    let uuid = json!({"type": "string", "format": UUID});
    let strings = json!({"type": "array", "items": {"type": "string"}});
    // Not blank, no control characters.
    let name = json!({"type": "string", "maxLength": MAX_VEHICLE_NAME_CHARS,
        "pattern": format!("^[^{CONTROL}]*[^{SPACE}{CONTROL}][^{CONTROL}]*$")});
    let note = json!({"type": "string", "maxLength": ridewire_engine::sync::MAX_FEEDBACK_CHARS,
        "description": "The rider's note on the run (did the fix work?); absent until they leave one"});
    let note_ms = json!({"type": "integer",
        "description": "When the note was written (Unix ms); of two notes the later one is kept"});
    json!({
        "DiagnosticRequest": {
            "type": "object", "required": ["vehicle"],
            "description": "Something to diagnose: a query that is not blank, a trouble code or a symptom",
            "anyOf": [
                {"required": ["query"], "properties": {"query": {"pattern": format!("[^{SPACE}]")}}},
                {"required": ["codes"], "properties": {"codes": {"minItems": 1}}},
                {"required": ["symptoms"], "properties": {"symptoms": {"minItems": 1}}}
            ],
            "properties": {
                "query": {"type": "string", "maxLength": MAX_QUERY_CHARS,
                    "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"},
                "vehicle": {"type": "object", "required": ["make", "model", "year"],
                    "properties": {"make": name, "model": name,
                        "year": {"type": "integer", "minimum": YEARS.start(), "maximum": YEARS.end()}}},
                "symptoms": {"type": "array", "maxItems": MAX_SYMPTOMS, "items": {"type": "string",
                    "minLength": 1, "maxLength": MAX_SYMPTOM_CHARS, "pattern": "^[a-z][a-z0-9]*(_[a-z0-9]+)*$"}},
                "codes": {"type": "array", "maxItems": MAX_CODES,
                    "items": {"type": "string",
                        "pattern": format!("^[{SPACE}]*[PCBUpcbu][0-3][0-9A-Fa-f]{{3}}[{SPACE}]*$")}},
                "utc_offset_min": {"type": "integer", "minimum": -840, "maximum": 840}
            }
        },
        "DiagnosticRun": {
            "type": "object",
            "required": ["id", "created_ms", "request", "panel", "xp_earned", "achievements", "event_id"],
            "properties": {
                "id": uuid, "created_ms": {"type": "integer"}, "request": r("DiagnosticRequest"),
                "panel": {"type": "object", "required": ["diagnosis", "calls"],
                    "properties": {
                        "diagnosis": {"type": "object",
                            "required": ["consensus", "decision", "flags", "highlighted_components", "answers"],
                            "properties": {"decision": {"enum": ["approved", "escalated", "rejected"]},
                                "flags": {"type": "array"}, "highlighted_components": strings,
                                "answers": {"type": "array"}}},
                        "calls": {"type": "array", "items": {"type": "object",
                            "required": ["agent", "provider", "elapsed_ms", "timed_out"],
                            "properties": {"agent": {"type": "string"}, "provider": {"type": "string"},
                                "elapsed_ms": {"type": "number"}, "timed_out": {"type": "boolean"}}}}
                    }},
                "xp_earned": {"type": "integer"}, "achievements": strings, "event_id": uuid,
                "feedback": note, "feedback_ms": note_ms
            }
        },
        "DiagnosticHistory": {
            "type": "object", "required": ["runs"],
            "properties": {
                "runs": {"type": "array", "items": {"type": "object",
                    "required": ["id", "created_ms", "request", "decision", "highlighted_components",
                        "xp_earned", "event_id"],
                    "properties": {"id": uuid, "created_ms": {"type": "integer"},
                        "request": r("DiagnosticRequest"),
                        "decision": {"enum": ["approved", "escalated", "rejected"]},
                        "diagnosis": {"type": ["string", "null"]},
                        "highlighted_components": strings, "xp_earned": {"type": "integer"},
                        "event_id": uuid, "feedback": note, "feedback_ms": note_ms}}},
                "next_before": uuid
            }
        },
        "DiagnosticFeedback": {
            "type": "object", "required": ["feedback", "at_ms"], "additionalProperties": false,
            "properties": {"feedback": note,
                "at_ms": {"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX,
                    "description": "When the rider wrote it (Unix ms, the device's clock)"}}
        },
        "RunFeedback": {
            "type": "object", "required": ["id", "feedback", "feedback_ms"],
            "properties": {"id": uuid, "feedback": note, "feedback_ms": note_ms}
        }
    })
}

/// The leaderboards' bodies.
fn leaderboards() -> Value {
    use ridewire_engine::sync::leaderboard::{MAX_NAME_CHARS, MIN_NAME_CHARS, TOP};
    let count = json!({"type": "integer", "minimum": 0});
    json!({
        "DisplayName": {
            "type": "object", "required": ["display_name"], "additionalProperties": false,
            "properties": {"display_name": {
                "type": ["string", "null"], "minLength": MIN_NAME_CHARS, "maxLength": MAX_NAME_CHARS,
                "pattern": display_name_pattern(),
                "description": "Shown to every signed-in rider; null: listed on no board (the default). \
                    No control or invisible characters (zero-width spaces, direction marks), \
                    no spaces around it; unique ignoring case in any script and compatibility forms (NFKC, lower-cased, NFKC)"}}
        },
        "Leaderboard": {
            "type": "object", "required": ["board", "period", "generated_ms", "listed", "top", "me"],
            "properties": {
                "board": {"enum": ["xp", "diagnostics", "quests"]},
                "period": {"enum": ["week", "all"]},
                "week_start_ms": {"type": "integer", "description": "Monday 00:00 UTC of the week counted (week only)"},
                "generated_ms": {"type": "integer"},
                "listed": count,
                "top": {"type": "array", "maxItems": TOP, "items": {
                    "type": "object", "required": ["rank", "display_name", "value"],
                    "properties": {"rank": {"type": "integer", "minimum": 1},
                        "display_name": {"type": "string"}, "value": count}}},
                "me": {"type": "object", "required": ["display_name", "value", "rank"],
                    "properties": {"display_name": {"type": ["string", "null"]}, "value": count,
                        "rank": {"type": ["integer", "null"], "minimum": 1}}}
            }
        }
    })
}

/// The photo proofs' schemas.
fn photos() -> Value {
    use crate::routes::photos::{BASE64_PATTERN, MAX_PHOTO_BASE64, MAX_PHOTOS};
    use ridewire_engine::proof::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE};
    let uuid = json!({"type": "string", "format": UUID});
    let hash = json!({"type": "string", "pattern": "^[0-9a-f]{64}$"});
    let bytes = json!({"type": "integer", "minimum": 1, "maximum": MAX_PHOTO_BYTES});
    let side = json!({"type": "integer", "minimum": 1, "maximum": MAX_PHOTO_SIDE});
    let jpeg = json!({"type": "string", "pattern": BASE64_PATTERN,
        "contentEncoding": "base64", "contentMediaType": "image/jpeg",
        "description": "The JPEG, standard base64 with padding"});
    json!({
        "NewPhoto": {
            "type": "object", "required": ["jpeg"], "additionalProperties": false,
            "properties": {"jpeg": {
                "type": "string", "maxLength": MAX_PHOTO_BASE64, "pattern": BASE64_PATTERN,
                "contentEncoding": "base64", "contentMediaType": "image/jpeg",
                "description": format!(
                    "The JPEG, standard base64 with padding. What a schema cannot say: it must \
                     decode to at most {MAX_PHOTO_BYTES} bytes (else 413 photo_too_large) whose \
                     SHA-256 is the one the path names (else 400 digest_mismatch), a JPEG (FF D8) \
                     with no APP1 to APP15 or COM segment and nothing after its end (else 400 \
                     photo_has_metadata; the app re-encodes photos without metadata), one SOF0, \
                     SOF1 or SOF2 frame of 1 to {MAX_PHOTO_SIDE} px a side, and it must decode \
                     (else 400 bad_photo). An account keeps at most {MAX_PHOTOS} photos (else 413 \
                     photo_quota)")}}
        },
        "Photo": {
            "type": "object", "required": ["sha256", "bytes", "width", "height"],
            "properties": {"sha256": hash, "bytes": bytes, "width": side, "height": side}
        },
        "StoredPhoto": {
            "type": "object", "required": ["sha256", "bytes", "width", "height", "created_ms", "jpeg"],
            "properties": {"sha256": hash, "bytes": bytes, "width": side, "height": side,
                "created_ms": {"type": "integer", "description": "When the server stored it (Unix ms)"},
                "jpeg": jpeg}
        },
        "ProofPhoto": {
            "type": "object", "required": ["sha256", "bytes", "width", "height", "jpeg"],
            "properties": {"sha256": hash, "bytes": bytes, "width": side, "height": side,
                "taken_ms": {"type": "integer",
                    "description": "When it was taken (Unix ms); only if the rider shares that"},
                "at": {"type": "object", "required": ["lat", "lon"],
                    "description": "Where it was taken; only if the rider shares that",
                    "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "lon": {"type": "number", "minimum": -180, "maximum": 180}}},
                "jpeg": jpeg}
        },
        "CompletionProof": {
            "type": "object",
            "required": ["completion", "quest", "completed_ms", "photo", "validators", "validated_by_you"],
            "properties": {"completion": uuid, "quest": {"type": "string"},
                "completed_ms": {"type": "integer", "description": "When the rider completed it (Unix ms, their device's clock)"},
                "photo": {"oneOf": [{"type": "null"}, r("ProofPhoto")],
                    "description": "The photo of the newest photo_submitted event of the quest before this completion and after the one before it; null when there is none"},
                "validators": {"type": "integer", "minimum": 0,
                    "description": "Accounts that vouched for this completion so far"},
                "validated_by_you": {"type": "boolean"}}
        }
    })
}

/// The workshops' bodies.
fn workshops() -> Value {
    use crate::workshops::{
        CODE_CHARS, DIAGNOSES_SHOWN, MAX_NAME_CHARS, MAX_SHARE_WORDS, MAX_TYPED_CODE_CHARS,
    };
    let uuid = json!({"type": "string", "format": UUID});
    let share = json!({"enum": ["bikes", "diagnoses"]});
    let shares = json!({"type": "array", "items": share, "maxItems": MAX_SHARE_WORDS,
        "description": "What a customer lets the workshop's staff see: their bikes (vehicle records), their diagnoses; a word given twice counts once"});
    let role = json!({"enum": ["owner", "mechanic", "front_desk", "customer"]});
    json!({
        "NewWorkshop": {
            "type": "object", "required": ["name"], "additionalProperties": false,
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS,
                "pattern": name_pattern(),
                "description": "No control characters, no spaces around it"}}
        },
        "Membership": {
            "type": "object", "required": ["workshop", "name", "role", "shares", "since_ms"],
            "properties": {"workshop": uuid, "name": {"type": "string"}, "role": role,
                "shares": shares, "since_ms": {"type": "integer"}}
        },
        "Memberships": {
            "type": "object", "required": ["workshops"],
            "properties": {"workshops": {"type": "array", "items": r("Membership")}}
        },
        "NewInvitation": {
            "type": "object", "required": ["role"], "additionalProperties": false,
            "properties": {"role": {"enum": ["mechanic", "front_desk", "customer"],
                "description": "Staff (mechanic, front_desk) are invited by the owner only"}}
        },
        "Invitation": {
            "type": "object", "required": ["code", "workshop", "role", "expires_ms"],
            "properties": {"code": {"type": "string", "minLength": CODE_CHARS, "maxLength": CODE_CHARS,
                    "description": "Crockford base 32; give it by hand or in a link"},
                "workshop": uuid, "role": role, "expires_ms": {"type": "integer"}}
        },
        "AcceptInvitation": {
            "type": "object", "required": ["code"], "additionalProperties": false,
            "properties": {"code": {"type": "string", "minLength": 1, "maxLength": MAX_TYPED_CODE_CHARS,
                    "description": "As given: case, spaces and dashes do not matter, O reads as 0 and I, L as 1"},
                "shares": shares}
        },
        "Sharing": {
            "type": "object", "required": ["shares"], "additionalProperties": false,
            "properties": {"shares": shares}
        },
        "Customers": {
            "type": "object", "required": ["customers"],
            "properties": {"customers": {"type": "array", "items": {
                "type": "object", "required": ["customer", "display_name", "since_ms", "shares"],
                "properties": {"customer": {"type": "integer"},
                    "display_name": {"type": ["string", "null"]},
                    "since_ms": {"type": "integer"}, "shares": shares,
                    "bikes": {"type": "array", "items": r("Record"),
                        "description": "Only when the customer shares bikes"},
                    "diagnoses": {"type": "array", "maxItems": DIAGNOSES_SHOWN, "items": {
                        "type": "object", "required": ["id", "created_ms", "decision", "request"],
                        "properties": {"id": uuid, "created_ms": {"type": "integer"},
                            "decision": {"enum": ["approved", "escalated", "rejected"]},
                            "request": r("DiagnosticRequest")}},
                        "description": "Only when the customer shares diagnoses: the newest first"}}}}}
        }
    })
}

/// The bays' and bookings' bodies.
fn bookings() -> Value {
    use crate::bookings::{
        MAX_BIKE_CHARS, MAX_NOTES_CHARS, MAX_SERVICE_CHARS, OFFSETS, SLOT_MINUTES,
    };
    use crate::workshops::MAX_NAME_CHARS;
    let uuid = json!({"type": "string", "format": UUID});
    let minute = |max: u16| json!({"type": "integer", "minimum": 0, "maximum": max});
    let days = json!({"type": "array", "minItems": 1, "maxItems": 7, "uniqueItems": true,
        "items": {"type": "integer", "minimum": 1, "maximum": 7},
        "description": "Days open, Monday 1 to Sunday 7, each once"});
    let bay_fields = json!({
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS, "pattern": name_pattern()},
        "opens_min": minute(1439),
        "closes_min": {"type": "integer", "minimum": 1, "maximum": 1440,
            "description": "Minutes after local midnight; after opens_min, with room for one slot"},
        "days": days,
        "slot_minutes": {"type": "integer", "minimum": SLOT_MINUTES.start(), "maximum": SLOT_MINUTES.end()},
        "utc_offset_min": {"type": "integer", "minimum": OFFSETS.start(), "maximum": OFFSETS.end()}
    });
    let slot = json!({"type": "object", "required": ["bay", "start_ms", "end_ms"],
        "properties": {"bay": uuid, "start_ms": {"type": "integer"}, "end_ms": {"type": "integer"}}});
    let mut bay = json!({"type": "object",
        "required": ["id", "name", "opens_min", "closes_min", "days", "slot_minutes", "utc_offset_min"],
        "properties": bay_fields.clone()});
    bay["properties"]["id"] = uuid.clone();
    json!({
        "NewBay": {
            "type": "object", "additionalProperties": false,
            "required": ["name", "opens_min", "closes_min", "days", "slot_minutes", "utc_offset_min"],
            "properties": bay_fields
        },
        "Bay": bay,
        "Bays": {"type": "object", "required": ["bays"],
            "properties": {"bays": {"type": "array", "items": r("Bay")}}},
        "Slots": {"type": "object", "required": ["slots"],
            "properties": {"slots": {"type": "array", "items": slot.clone()}}},
        "NewBooking": {
            "type": "object", "additionalProperties": false, "required": ["bay", "start_ms", "service"],
            "properties": {"bay": uuid,
                "start_ms": {"type": "integer", "description": "The start of one of the bay's slots, in the future, at most 90 days ahead"},
                "service": {"type": "string", "minLength": 1, "maxLength": MAX_SERVICE_CHARS,
                    "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"},
                "bike": {"type": "string", "minLength": 1, "maxLength": MAX_BIKE_CHARS},
                "notes": {"type": "string", "maxLength": MAX_NOTES_CHARS},
                "customer": {"type": "integer", "description": "Staff only: the customer booked for"},
                "id": {"type": "string", "format": UUID,
                    "description": "The booking's id, made by the device: sending the same booking again answers the booking it made (409 booking_id_taken when the id is another booking's)"}}
        },
        "Booking": {
            "type": "object",
            "required": ["id", "workshop", "bay", "customer", "start_ms", "end_ms", "service", "bike", "notes", "created_ms", "cancelled_ms"],
            "properties": {"id": uuid, "workshop": uuid, "bay": uuid, "customer": {"type": "integer"},
                "start_ms": {"type": "integer"}, "end_ms": {"type": "integer"},
                "service": {"type": "string"}, "bike": {"type": ["string", "null"]},
                "notes": {"type": "string"}, "created_ms": {"type": "integer"},
                "cancelled_ms": {"type": ["integer", "null"]}}
        },
        "MoveBooking": {
            "type": "object", "additionalProperties": false, "required": ["bay", "start_ms"],
            "properties": {"bay": uuid,
                "start_ms": {"type": "integer", "description": "The start of one of the bay's slots, in the future, at most 90 days ahead"}}
        },
        "Bookings": {"type": "object", "required": ["bookings"],
            "properties": {"bookings": {"type": "array", "items": r("Booking")}}},
        "SlotTaken": {
            "type": "object", "required": ["error", "next_free"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
                "next_free": {"type": "array", "items": slot}}
        }
    })
}

/// The review queue's bodies.
fn reviews() -> Value {
    use ridewire_engine::diagnostics::review::{MAX_ACTION_CHARS, MAX_COMPONENTS};
    let uuid = json!({"type": "string", "format": UUID});
    let verdict = json!({"enum": ["approved", "corrected", "rejected"]});
    let known: Vec<&str> = ridewire_engine::vehicle::COMPONENTS
        .iter()
        .map(|c| c.id)
        .collect();
    let components = json!({"type": "array", "items": {"type": "string"}});
    let ctl = r"\x00-\x08\x0b-\x1f\x7f-\x9f";
    json!({
        "ReviewInput": {
            "type": "object", "additionalProperties": false, "required": ["verdict", "text"],
            "properties": {"verdict": verdict,
                "text": {"type": "string", "minLength": 1, "maxLength": MAX_ACTION_CHARS,
                    "pattern": format!("^[^{ctl}]*[^{SPACE}{ctl}][^{ctl}]*$"),
                    "description": "The mechanic's own words in English (no control characters but line breaks and tabs): what to do, or why not; the agents' safety rules read it (400 unsafe_advice when they refuse it)"},
                "components": {"type": "array", "maxItems": MAX_COMPONENTS,
                    "items": {"enum": known},
                    "description": "Only with corrected (1 or more): the components at fault; approved keeps the run's own, rejected names none"}}
        },
        "ReviewQueue": {
            "type": "object", "required": ["runs"],
            "properties": {"runs": {"type": "array", "maxItems": crate::reviews::QUEUE_SHOWN, "items": {
                "type": "object",
                "required": ["run", "customer", "display_name", "created_ms", "request", "consensus", "flags"],
                "properties": {"run": uuid, "customer": {"type": "integer"},
                    "display_name": {"type": ["string", "null"]}, "created_ms": {"type": "integer"},
                    "request": r("DiagnosticRequest"),
                    "consensus": {"type": ["object", "null"]}, "flags": {"type": "array"}}}}}
        },
        "Reviewed": {
            "type": "object", "required": ["run", "event_id", "reviewed_ms", "review"],
            "properties": {"run": uuid, "event_id": uuid, "reviewed_ms": {"type": "integer"},
                "review": {"type": "object",
                    "required": ["workshop", "workshop_name", "reviewer", "reviewer_name", "verdict", "text", "components"],
                    "properties": {"workshop": uuid, "workshop_name": {"type": "string"},
                        "reviewer": {"type": "integer"}, "reviewer_name": {"type": "string"},
                        "verdict": verdict, "text": {"type": "string"}, "components": components}}}
        }
    })
}

/// The bodies of plans a workshop sends.
fn workshop_plans() -> Value {
    use crate::workshop_plans::MAX_PLAN_BYTES;
    let sent = json!({"type": "object",
        "required": ["key", "customer", "title", "bike", "sent_ms", "quests", "done", "removed"],
        "properties": {"key": {"type": "string"}, "customer": {"type": "integer"},
            "title": {"type": "string"}, "bike": {"type": ["string", "null"]},
            "sent_ms": {"type": "integer"},
            "quests": {"type": "integer", "minimum": 0}, "done": {"type": "integer", "minimum": 0},
            "removed": {"type": "boolean", "description": "The customer removed it from their plans"}}});
    json!({
        "PlanForCustomer": {
            "type": "object", "additionalProperties": false, "required": ["customer", "markdown"],
            "properties": {"customer": {"type": "integer", "description": "The customer's account (as the customers list names it)"},
                "bike": {"type": "string", "minLength": 1, "maxLength": 128,
                    "description": "One of the customer's bikes (its garage record key), when they share bikes"},
                "markdown": {"type": "string", "maxLength": MAX_PLAN_BYTES,
                    "description": "A maintenance plan as `ridewire plan` reads it: a title and sections of tasks; at most 512 KiB (bytes)"}}
        },
        "NewTemplate": {
            "type": "object", "additionalProperties": false, "required": ["markdown"],
            "properties": {"markdown": {"type": "string", "maxLength": MAX_PLAN_BYTES,
                "description": "A maintenance plan as `ridewire plan` reads it; at most 512 KiB (bytes)"}}
        },
        "Template": {"type": "object", "required": ["name", "title", "markdown", "updated_ms"],
            "properties": {"name": {"type": "string"}, "title": {"type": "string"},
                "markdown": {"type": "string"}, "updated_ms": {"type": "integer"}}},
        "Templates": {"type": "object", "required": ["templates"],
            "properties": {"templates": {"type": "array", "maxItems": 100, "items": r("Template")}}},
        "SentPlan": sent.clone(),
        "SentPlans": {"type": "object", "required": ["plans"],
            "properties": {"plans": {"type": "array", "maxItems": 200, "items": sent}}}
    })
}
