import { describe, expect, it } from 'vitest';
import { passphraseStrength } from './strength';

describe('passphraseStrength', () => {
  it('refuses what the vault would refuse', () => {
    expect(passphraseStrength('short', 12)).toBe(0);
    expect(passphraseStrength('aaaaaaaaaaaaaaaa', 12)).toBe(0);
    expect(passphraseStrength('   padded    ', 12)).toBe(0);
    expect(passphraseStrength('abababababababab', 12)).toBe(0);
  });

  it('rates longer and more varied passphrases higher, Korean included', () => {
    const weak = passphraseStrength('abcdefghijkl', 12);
    const strong = passphraseStrength('river crossing at dawn with 3 lanterns', 12);
    expect(weak).toBeGreaterThanOrEqual(1);
    expect(strong).toBe(4);
    expect(strong).toBeGreaterThan(weak);
    expect(passphraseStrength('압록강 건너 새벽 세시', 12)).toBeGreaterThanOrEqual(3);
  });
});
