//! Team state in the vault (device identity, organisation keys, roster). Owned by the team issue.
