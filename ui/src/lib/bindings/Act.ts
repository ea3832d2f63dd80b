// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

export type Act = { id: string, act_type: string, victim: string, agency: string, unit: string, facility: string, consequences: string, };
