// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { QrMatrix } from "./QrMatrix";

/**
 * An enrollment request to hand to HQ.
 */
export type EnrollmentRequest = { device_id: string, fingerprint: string, 
/**
 * The request as text (`CAIRN-ENROLL1:…`), also shown as a QR code.
 */
text: string, qr: QrMatrix, };
