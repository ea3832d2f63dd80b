// Passphrase strength feedback for the meter. Acceptance itself is decided by cairn-core when
// the vault is created (`weak_passphrase`); `acceptable` mirrors that rule (at least `min`
// characters after trimming, at least 5 different ones) so the meter never says "good" to a
// passphrase the vault will refuse.

export type Strength = 0 | 1 | 2 | 3 | 4;

export function passphraseStrength(passphrase: string, min: number): Strength {
  const chars = Array.from(passphrase.trim());
  const distinct = new Set(chars).size;
  if (chars.length < min || distinct < 5) return 0;
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[\uAC00-\uD7A3]/.test(passphrase)) pool += 2350; // common Hangul syllables
  if (/[^a-zA-Z0-9\uAC00-\uD7A3\s]/.test(passphrase)) pool += 20;
  if (/\s/.test(passphrase)) pool += 1;
  // Repetition lowers the estimate: count distinct characters more than length.
  const effective = Math.min(chars.length, distinct * 2);
  const bits = effective * Math.log2(Math.max(pool, 2));
  if (bits < 50) return 1;
  if (bits < 70) return 2;
  if (bits < 90) return 3;
  return 4;
}
