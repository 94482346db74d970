var key = "AKIA..."; // sfi:ignore SFI-SEC-001 test fixture, not a credential
// sfi:ignore SFI-SEC-001,SFI-SEC-002 until 2027-01-31 rotated in the vault
var other = Load();
# sfi:ignore SFI-DEP-001 GHSA-xxxx-yyyy-zzzz CVE-2024-0001 not reachable
/* sfi:ignore SFI-SEC-001 until 2020-01-01 expired */
// sfi:ignore SFI-SEC-001
// SFI:IGNORE sfi-sec-001 until 2026-13-45 bad date
